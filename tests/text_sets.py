"""Generated text sets for the tests: sentences of three topics with words of their own
(and words all topics share), as a .csv with a text column and a label column; and the
guide's text classifier that learns them."""

from __future__ import annotations

import csv
import io
import random

from helpers import chain

TOPICS = {
    "sport": "goal match team score referee league coach player stadium season".split(),
    "food": "bread cheese soup recipe oven spice dinner salad butter kitchen".split(),
    "space": "orbit rocket planet comet galaxy launch moon telescope star astronaut".split(),
}
SHARED = "the a today really very new big some about with".split()


def sentence(rng: random.Random, topic: str) -> str:
    words = rng.choices(TOPICS[topic], k=4) + rng.choices(SHARED, k=4)
    rng.shuffle(words)
    text = " ".join(words).capitalize()
    return text + rng.choice([".", "!", ", indeed.", ' "quoted"'])


def text_csv(
    samples: int = 2000, seed: int = 0, mislabelled: float = 0.05, text: str = "text"
) -> bytes:
    """A .csv of `samples` labelled sentences (columns `text`, `topic`), topics interleaved;
    a `mislabelled` fraction carries another topic's label (so a model has some errors)."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([text, "topic"])
    topics = sorted(TOPICS)
    for i in range(samples):
        topic = topics[rng.randrange(len(topics))] if i >= len(topics) else topics[i]
        label = (
            rng.choice([t for t in topics if t != topic]) if rng.random() < mislabelled else topic
        )
        writer.writerow([sentence(rng, topic), label])
    return out.getvalue().encode()


def text_classifier(input_shape: list) -> dict:
    """The guide's text classifier: string Input -> TextVectorization -> Embedding ->
    GlobalAveragePooling1D -> Dense (three topics)."""
    return chain(
        {
            "id": "vectorize",
            "type": "TextVectorization",
            "params": {"max_tokens": 200, "output_sequence_length": 16},
        },
        {"id": "embed", "type": "Embedding", "params": {"input_dim": 200, "output_dim": 16}},
        {"id": "pool", "type": "GlobalAveragePooling1D", "params": {}},
        {"id": "probs", "type": "Dense", "params": {"units": 3, "activation": "softmax"}},
        input_shape=input_shape,
        input_params={"dtype": "string"},
        loss="sparse_categorical_crossentropy",
    )


def text_run_request(dataset: str, epochs: int, graph: dict | None = None) -> dict:
    """`POST /api/runs` of the text classifier on the uploaded text set `dataset`: a fifth
    kept to validate, Adam at 0.01, seeded."""
    return {
        "graph": graph or text_classifier([1]),
        "dataset": {"name": dataset},
        "settings": {
            "epochs": epochs,
            "batch_size": 32,
            "seed": 1,
            "validation_split": 0.2,
            "tensorboard": False,
            "optimizer": {"name": "adam", "learning_rate": 0.01},
        },
    }
