"""What the demo corpus's people say: plain answers to BAH's seven questions and planted A/H moments.

Plain sentences are deliberately free of every language cue the codebook lists (no fillers,
hedges, "but"/"because", wants, repeats), so a video labelled 0 carries no planted evidence. Each
planted template is a short hesitant answer whose language cues are known by construction and
listed with it; the generator adds the audio cues (an inserted silence, a slower rate) and a head
movement. Templates follow the codebook's own examples (appendix H of the BAH paper): "I want to
... but ...", change and sustain talk in one breath, "I think, I think", and the language-body
inconsistency of saying "yes" while shaking the head (or "no" while nodding).
"""
from __future__ import annotations

from dataclasses import dataclass

# The question prompts of BAH's Table 1, by number (the prompt type in brackets).
QUESTIONS: dict[int, str] = {
    1: "[Neutral] Tell us about an activity you commonly do after waking up.",
    2: "[Positive] Talk about an activity that brings you joy, for example, a hobby. Tell us why.",
    3: "[Negative] Talk about an activity you dislike doing. Tell us why.",
    4: ("[Ambivalent] Tell us about something you enjoy doing but wish you stopped doing, "
        "or something you don't do but wish you did."),
    5: "[Willing] Tell us about an activity you are almost always willing to do.",
    6: "[Resistant] Tell us about something people around you do, but that you would not be willing to do.",
    7: "[Hesitant] Tell us about something you could have done already but haven't done yet.",
}

# How likely an answer to each question is to hold A/H (questions 4, 6, 7 were built to elicit it).
AH_PRIOR: dict[int, float] = {1: 0.3, 2: 0.3, 3: 0.5, 4: 0.85, 5: 0.3, 6: 0.6, 7: 0.8}

PLAIN: dict[int, list[str]] = {
    1: ["Every morning I make a pot of coffee.", "Then I read the news on my phone.",
        "After that I walk the dog around the block.", "I eat toast with jam for breakfast.",
        "I take a shower and get dressed.", "The bus to work leaves at eight.",
        "I check my email at the kitchen table.", "On Sundays I sleep a little longer."],
    2: ["I play the guitar in the evening.", "Music helps me relax after work.",
        "I learned my first song at twelve.", "On weekends I play with two friends.",
        "We practise in a small garage.", "It makes me feel calm and happy.",
        "Last month we played at a wedding.", "My old teacher still sends me new songs."],
    3: ["I really dislike doing the dishes.", "The kitchen is always a mess at night.",
        "It takes almost an hour every evening.", "My hands get dry from the soap.",
        "I find it boring and tiring.", "The pans are the worst part.",
        "My roommate leaves plates in the sink.", "Nobody in the house enjoys this job."],
    4: ["I eat a lot of sweets at night.", "Chocolate is my favourite snack.",
        "I keep a box of cookies in my desk.", "Most nights I watch videos until late.",
        "The next morning I feel tired.", "My doctor mentioned my sugar levels.",
        "I buy a new bag of candy every week.", "It is a habit from my student years."],
    5: ["I always help friends when they move.", "I enjoy cooking dinner for my family.",
        "At work I am happy to train new people.", "I go hiking with my sister every month.",
        "We bring sandwiches and a big thermos.", "Helping others gives me energy.",
        "Last year I helped my cousin paint her house.", "I say yes to a walk in any weather."],
    6: ["My friends go skydiving every summer.", "They post videos of every jump.",
        "Some people at work smoke on their breaks.", "I do not smoke at all.",
        "My brother races motorbikes on a track.", "He has broken his arm twice.",
        "My neighbours swim in the lake in winter.", "The water is close to freezing."],
    7: ["I have not booked a dentist visit.", "My car needs a new set of tires.",
        "The tax papers are still on my desk.", "I have a gym card that I never use.",
        "My closet is full of old clothes.", "The garden needs a lot of work.",
        "My passport expired last spring.", "The letters pile up on the shelf."],
}

# Extra plain sentences for long answers (any question).
GENERIC: list[str] = [
    "I live in a small apartment in the city.", "The weather was cold this week.",
    "I work in an office downtown.", "I have a brother and a sister.",
    "My parents live two hours away.", "I take the train most days.",
    "The office is quiet in the morning.", "We have a cat named Pepper.",
    "My street has a bakery on the corner.", "I read a few books each month.",
    "The park near my home is very green.", "I grew up in a small town.",
]

# The activity each planted phrase is about, per question (kept short to keep segments short).
ACTIVITY: dict[int, str] = {1: "get up earlier", 2: "play more", 3: "do it", 4: "stop",
                            5: "say no", 6: "try it", 7: "start"}

PAUSE = "<pause>"


@dataclass(frozen=True)
class Template:
    """A planted hesitant phrase: its words (``PAUSE`` marks an inserted silence), the language cue
    ids it carries, a forced head movement (or None: the generator picks one) and the
    inconsistency pair it creates with that movement."""

    name: str
    words: tuple[str, ...]
    language: tuple[str, ...]
    motion: str | None = None
    pairs: tuple[str, ...] = ()

    def say(self, question: int) -> list[str]:
        """The words with the activity of ``question`` filled in."""
        out: list[str] = []
        for w in self.words:
            if w.startswith("{act}"):  # keep the punctuation that follows the slot
                act = ACTIVITY[question].split()
                out += act[:-1] + [act[-1] + w[len("{act}"):]]
            else:
                out.append(w)
        return out


TEMPLATES: tuple[Template, ...] = (
    Template("want_but", ("Umm,", PAUSE, "I", "want", "to,", "but,", "maybe."),
             ("language.filler_sound", "language.mot", "language.excuse", "language.hedging")),
    Template("think_think", ("I", "think,", "I", "think,", PAUSE, "uh,", "no."),
             ("language.hedging", "language.repetition", "language.filler_sound", "language.no_mot")),
    Template("yes_shake", ("Yes,", "yes,", "umm,", PAUSE, "I", "will."),
             ("language.repetition", "language.mot", "language.filler_sound"), motion="shake", pairs=("LB",)),
    Template("should_but", ("I", "should", "{act},", PAUSE, "but,", "umm."),
             ("language.mot", "language.excuse", "language.filler_sound")),
    Template("maybe_time", ("Maybe,", PAUSE, "uh,", "no", "time."),
             ("language.hedging", "language.filler_sound", "language.no_opp")),
    Template("no_nod", ("No,", PAUSE, "umm,", "I", "don't", "want", "to."),
             ("language.filler_sound", "language.no_mot"), motion="nod", pairs=("LB",)),
)

FILLERS = {"umm", "uh", "um", "mmm", "err"}
