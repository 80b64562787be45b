"""Pipeline + GridSearchCV: tune a RowAttentionClassifier like any scikit-learn model.

A Pipeline (feature selection, then the classifier) tuned by GridSearchCV with
cross-validation on scikit-learn's wine data; prints the grid's scores, the best
parameters, and the held-out accuracy of the refitted best pipeline.
Run: ``python examples/pipeline_grid_search.py``.
"""

import os
import warnings

from sklearn.datasets import load_wine  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.feature_selection import SelectKBest, f_classif  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

from skrowattn import RowAttentionClassifier  # noqa: E402

# The default number of epochs, unless SKROWATTN_EXAMPLE_EPOCHS sets one (the
# test suite's small settings).
EPOCHS = ({"max_iter": int(os.environ["SKROWATTN_EXAMPLE_EPOCHS"])}
          if "SKROWATTN_EXAMPLE_EPOCHS" in os.environ else {})

X, y = load_wine(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y)

pipeline = Pipeline([
    ("select", SelectKBest(f_classif)),
    # The classifier standardizes its inputs itself: no scaler needed.
    ("clf", RowAttentionClassifier(**EPOCHS, random_state=0)),
])
grid = {
    "select__k": [5, "all"],
    "clf__alpha": [0.3, 3.0],
    "clf__hidden_layer_sizes": [(32,), (200,)],
}
# n_jobs=2 runs two fits at a time; each worker's TensorFlow gets one thread
# (see docs/scaling.md).
search = GridSearchCV(pipeline, grid, cv=3, n_jobs=2)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    search.fit(X_train, y_train)

results = search.cv_results_
print(f"{'select__k':>9} {'alpha':>7} {'hidden':>8}  mean CV accuracy")
for params, score, rank in zip(results["params"], results["mean_test_score"],
                               results["rank_test_score"]):
    print(f"{params['select__k']!s:>9} {params['clf__alpha']:>7g} "
          f"{params['clf__hidden_layer_sizes']!s:>8}  {score:.3f}{'  <- best' if rank == 1 else ''}")
print(f"\nbest parameters: {search.best_params_}")
print(f"held-out accuracy of the refitted best pipeline: {search.score(X_test, y_test):.3f}")
kept = search.best_estimator_["select"].get_feature_names_out()
print(f"features kept by the selector: {', '.join(kept)}")
