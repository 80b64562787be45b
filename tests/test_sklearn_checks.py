"""scikit-learn's own estimator checks, every one, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skrowattn import RowAttentionClassifier, RowAttentionRegressor


# Default parameters: the checks judge the estimators users get.
@parametrize_with_checks([RowAttentionClassifier(), RowAttentionRegressor()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
