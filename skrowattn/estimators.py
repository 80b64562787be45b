"""scikit-learn estimators around a Keras backbone holding a RowAttention layer.

``RowAttentionClassifier`` and ``RowAttentionRegressor`` share one base class,
``BaseRowAttention``; each adds only its target handling and output head. Keras
is imported on the first fit or load, never at import time.
"""

import functools
import inspect
import time
import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    clone,
    ClassifierMixin,
    RegressorMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, compute_sample_weight
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils import get_tags
from sklearn.utils.validation import (
    _check_sample_weight,
    _check_y,
    check_consistent_length,
    column_or_1d,
    check_is_fitted,
    validate_data,
)

from skrowattn import inference, persistence
from skrowattn.monitor import EpochMonitor, FitHistory
from skrowattn.preprocessing import TabularPreprocessor, is_table, to_frame
from skrowattn._random import seeded
from skrowattn._tensors import get_weights, network_dtype, to_numpy

__all__ = ["BaseRowAttention", "RowAttentionClassifier", "RowAttentionRegressor"]


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_FAST_CHECK_SIZE = 1 << 16  # larger inputs: validation costs little next to the network
# alpha_scaling="noise" (regressor): after PENALTY_EPOCHS epochs, alpha is
# multiplied by the training rows' unexplained variance over NOISE_REFERENCE,
# within PENALTY_FACTORS. Chosen on the suite's 14 regression tables (3
# splits each, docs/benchmarks.md): references 0.2 / 0.3 / 0.45 gave paired
# R² differences of +0.0027 / +0.0040 / +0.0039 against a fixed alpha, and
# 13 / 13 / 12 tables level with the MLP pipeline.
PENALTY_EPOCHS = 10
NOISE_REFERENCE = 0.3
PENALTY_FACTORS = (0.25, 4.0)
# early_stopping="auto" holds out validation rows from this many rows on.
AUTO_EARLY_STOPPING_ROWS = 2000


class BaseRowAttention(TransformerMixin, BaseEstimator, metaclass=ABCMeta):
    """What the classifier and the regressor share: validation, training, weights.

    Abstract, as scikit-learn's ``BaseMultilayerPerceptron``: its ``__init__``
    has no defaults, so each estimator's signature is the one place they live.
    Subclasses set ``_loss_kind`` and the target handling (``_encode_targets``,
    ``_validation_score``).
    """

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "attention_layer": [Interval(Integral, 0, None, closed="left")],
        "attention_hidden_dim": [Interval(Integral, 1, None, closed="left"), None],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "novelty": [Interval(Real, 0, None, closed="left")],
        "row_score_rate": [Interval(Real, 0, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "cosine"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "early_stopping": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "backbone": [callable, None],
        "preprocessing": [StrOptions({"auto"}), HasMethods(["fit", "transform"]), None],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        *,
        attention_layer,
        attention_hidden_dim,
        temperature,
        novelty,
        row_score_rate,
        activation,
        dropout,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        early_stopping,
        validation_fraction,
        n_iter_no_change,
        backbone,
        preprocessing,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.attention_layer = attention_layer
        self.attention_hidden_dim = attention_hidden_dim
        self.temperature = temperature
        self.novelty = novelty
        self.row_score_rate = row_score_rate
        self.activation = activation
        self.dropout = dropout
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.backbone = backbone
        self.preprocessing = preprocessing

    # -- tags ----------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        auto = isinstance(self.preprocessing, str) and self.preprocessing == "auto"
        if auto:
            # Imputed, and categorical and string columns encoded.
            tags.input_tags.allow_nan = True
            tags.input_tags.categorical = True
            tags.input_tags.string = True
        elif self.preprocessing is None:
            tags.input_tags.allow_nan = False
        else:
            tags.input_tags.allow_nan = get_tags(self.preprocessing).input_tags.allow_nan
        tags.input_tags.sparse = False
        # transform returns the input's float dtype (the network computes in
        # float32 from 65 rows up: skrowattn._tensors.network_dtype).
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # -- validation ----------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if np.isscalar(sizes) else list(sizes)
        if not sizes or any(
            isinstance(s, bool) or not isinstance(s, Integral) or s < 1 for s in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a non-empty sequence of integers >= 1; "
                f"got {self.hidden_layer_sizes!r}."
            )
        if self.backbone is None and self.attention_layer > len(sizes):
            raise ValueError(
                f"attention_layer={self.attention_layer} must be between 0 (on the "
                f"inputs) and the number of hidden layers, {len(sizes)}."
            )
        return tuple(int(s) for s in sizes)

    def _auto(self):
        return isinstance(self.preprocessing, str) and self.preprocessing == "auto"

    def _allow_nan(self):
        # The tag, without building all the tags on every predict call.
        if self.preprocessing is None or self._auto():
            return self.preprocessing is not None
        return get_tags(self).input_tags.allow_nan

    def _check_fitted(self):
        if "model_" not in self.__dict__:  # cheap on the one-row predict path
            check_is_fitted(self)

    def _is_plain_array(self, X):
        """True when ``X`` would pass ``validate_data`` unchanged: a 2-D float
        NumPy array of the fitted width, fitted without feature names, finite
        (or NaN where allowed). The one-row predict path skips scikit-learn's
        checks for it, which cost more than the network; anything else goes
        through them, errors included."""
        if not (type(X) is np.ndarray and X.ndim == 2 and X.dtype in _FLOATS
                and X.shape[0] > 0 and X.shape[1] == self.__dict__.get("n_features_in_")
                and "feature_names_in_" not in self.__dict__):
            return False
        if X.size > _FAST_CHECK_SIZE:
            return False
        if self._allow_nan():
            return not np.isinf(X).any()
        return bool(np.isfinite(X).all())

    def _validate_X(self, X, reset, y=None, fitting=False):
        """Validated ``X`` (and ``y`` when ``fitting``): numeric arrays as floats,
        tables (DataFrames, object arrays) as pandas DataFrames."""
        if not (fitting or reset) and self._is_plain_array(X):
            return X
        classifier = isinstance(self, ClassifierMixin)
        table = self._auto() and is_table(X)
        # A user's transformer validates its own input.
        custom = not self._auto() and self.preprocessing is not None
        if table or custom:
            frame = to_frame(X) if table else X
            shape = getattr(frame, "shape", (len(frame),))
            if shape[0] == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={shape}) while a minimum "
                    "of 1 is required."
                )
            if len(shape) == 2 and shape[1] == 0:
                raise ValueError(
                    f"Found array with 0 feature(s) (shape={shape}) while a minimum "
                    "of 1 is required."
                )
            validate_data(self, frame, skip_check_array=True, reset=reset)
            if not fitting:
                return frame
            y = _check_y(y, multi_output=True, y_numeric=not classifier, estimator=self)
            check_consistent_length(frame, y)
            return frame, y
        kwargs = dict(
            reset=reset,
            dtype=[np.float64, np.float32],
            ensure_all_finite="allow-nan" if self._allow_nan() else True,
        )
        if not fitting:
            return validate_data(self, X, **kwargs)
        return validate_data(self, X, y, multi_output=True, y_numeric=not classifier, **kwargs)

    def _validate_input(self, X, y, sample_weight, reset):
        X, y = self._validate_X(X, reset, y, fitting=True)
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=getattr(X, "dtype", np.float64), ensure_non_negative=True,
            copy=True,
        )
        return X, y, sample_weight

    # -- fitting -------------------------------------------------------------
    def _default_backbone(self, n_outputs, dtype, seed=None):
        """``build_backbone`` with this estimator's settings, as a function of
        the number of input columns."""
        from skrowattn import backbone as bb

        return functools.partial(
            bb.build_backbone,
            n_outputs=n_outputs,
            hidden_layer_sizes=self._hidden_sizes(),
            attention_layer=self.attention_layer,
            attention_hidden_dim=self.attention_hidden_dim,
            temperature=self.temperature,
            activation=self.activation,
            dropout=self.dropout,
            dtype=dtype,
            seed=seed,
        )

    def _make_backbone(self, n_features, n_outputs, dtype, seed=None):
        if self.backbone is None:
            return self._default_backbone(n_outputs, dtype, seed)(n_features)
        model = self.backbone(n_features, n_outputs)
        import keras

        from skrowattn import backbone as bb

        if not isinstance(model, keras.Model):
            raise TypeError(
                "backbone must return a keras.Model taking (n_samples, "
                f"{n_features}) inputs; it returned {type(model).__name__}."
            )
        bb.find_row_attention(model)
        return model

    def _new_trainer(self, model):
        from skrowattn.training import make_trainer

        # The default network's input goes into its first Dense layer alone
        # (unless the attention sits on the inputs): it can train on padded inputs.
        padded = None
        if self.backbone is None and self.attention_layer > 0:
            padded = self._default_backbone(model.outputs[0].shape[-1], self._dtype)
        trainer = make_trainer(model, self._loss_kind, self.alpha, self.learning_rate_init,
                               self.row_score_rate, padded_network=padded)
        # Adam's state from a pickle or from before a failed fit: continue with it.
        state = self.__dict__.pop("_optimizer_state", None)
        if state is not None:
            trainer.set_optimizer_state(state)
        return trainer

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        """Fits, or leaves the estimator as it was when anything raises."""
        saved = self._snapshot(incremental)
        try:
            return self._fit_unguarded(X, y, sample_weight, incremental=incremental,
                                       classes=classes)
        except BaseException:
            self._restore(saved)
            raise

    def _continues(self, incremental):
        """True when this fit trains the current network further (``partial_fit``,
        ``warm_start``) instead of building a new one."""
        return (incremental or self.warm_start) and "model_" in self.__dict__

    def _snapshot(self, incremental):
        """What a fit may change: the attributes (lists copied, as fits append to
        them) and, when it continues the current network, that network's weights
        and Adam's state (a new fit builds new ones and leaves the old untouched)."""
        state = {k: list(v) if isinstance(v, list) else v for k, v in self.__dict__.items()}
        if not self._continues(incremental):
            return state, None, None
        trainer = state.get("_trainer")
        optimizer = trainer.optimizer_state() if trainer is not None else None
        return state, get_weights(state["model_"]), optimizer

    def _restore(self, saved):
        state, weights, optimizer = saved
        self.__dict__.clear()
        self.__dict__.update(state)
        if weights is not None:
            self.model_.set_weights(weights)
        if optimizer is not None:
            self._trainer.set_optimizer_state(optimizer)

    def _fit_unguarded(self, X, y, sample_weight, *, incremental, classes=None):
        first_call = not self._continues(incremental)
        X, y, sample_weight = self._validate_input(X, y, sample_weight, reset=first_call)
        self._hidden_sizes()  # validates the architecture before any work
        Y = self._encode_targets(y, sample_weight, first_call, classes)
        if isinstance(self, ClassifierMixin):
            sample_weight = sample_weight * self._class_weights(y)
        if not np.any(sample_weight > 0):
            raise ValueError("Sample weights must contain at least one non-zero number.")
        if first_call:
            Xs = self._fit_preprocessing(X, sample_weight)
        else:
            Xs = self._preprocess(X)

        from skrowattn._startup import compilation_cache, start_backend

        start_backend()
        if first_call:
            rng = check_random_state(self.random_state)
            self._seed = int(rng.randint(np.iinfo(np.int32).max))
        # A continued fit (warm start, partial_fit) shuffles differently each time.
        seed = self._seed + (0 if first_call else self.n_iter_)
        with compilation_cache(), seeded(seed):
            if first_call:
                self.model_ = self._make_backbone(Xs.shape[1], Y.shape[1], self._dtype, seed)
                self._trainer = None
                self.__dict__.pop("_optimizer_state", None)
                if self.early_stopping == "auto":
                    # Not in partial_fit: a chunk is no table to hold rows out of.
                    self._stop_on_validation = (not incremental
                                                and len(Xs) >= AUTO_EARLY_STOPPING_ROWS)
                else:
                    self._stop_on_validation = bool(self.early_stopping)
                FitHistory.new(self._stop_on_validation).write_to(self)
            if getattr(self, "_trainer", None) is None:
                self._trainer = self._new_trainer(self.model_)
            scores = self._train(Xs, Y, sample_weight, y, incremental, seed)
        self._set_sample_weights(Xs, scores)
        return self

    def _split_validation(self, Xs, Y, w, y, seed):
        # (getattr: a model pickled before "auto" existed, continued by warm_start)
        index = np.arange(len(Xs))  # each row's position in Xs
        if not (getattr(self, "_stop_on_validation", self.early_stopping is True)
                and len(Xs) >= 2):
            return (Xs, Y, w, index), None, None
        stratify = y if isinstance(self, ClassifierMixin) and not self._multilabel else None
        try:
            parts = train_test_split(
                Xs, Y, w, y, index, test_size=self.validation_fraction,
                random_state=seed, stratify=stratify,
            )
        except ValueError:  # too few rows per class to stratify
            parts = train_test_split(
                Xs, Y, w, y, index, test_size=self.validation_fraction, random_state=seed
            )
        X_tr, X_val, Y_tr, Y_val, w_tr, w_val, _, y_val, rows_tr, rows_val = parts
        # An empty side, or one of zero-weight rows only, leaves nothing to train
        # on or to score.
        for rows, part in ((w_val, "held out for validation"), (w_tr, "left for training")):
            if not np.any(rows > 0):
                raise ValueError(
                    f"early_stopping: validation_fraction={self.validation_fraction} leaves no "
                    f"row of non-zero sample_weight {part} (of {len(Xs)} rows); change "
                    "random_state or validation_fraction, or disable early_stopping."
                )
        return (X_tr, Y_tr, w_tr, rows_tr), (X_val, Y_val, y_val, w_val), rows_val

    def _validation_metrics(self, X_val, Y_val, y_val, w_val, values=None):
        """Score (accuracy or R², for ``validation_scores_``) and loss (the
        training loss without the penalty) of the held-out rows (``values``:
        the model's current ``get_weights()``, when at hand)."""
        from skrowattn.training import per_row_loss

        logits = inference.make_plan(self.model_, values).logits(X_val)
        # In the network's dtype: JAX without x64 warns on every float64 array.
        rows = to_numpy(per_row_loss(self._loss_kind, Y_val.astype(self._dtype, copy=False),
                                     logits.astype(self._dtype, copy=False)))
        loss = float(np.average(rows, weights=w_val))
        return self._validation_score(logits, y_val, w_val), loss

    def _train(self, Xs, Y, w, y, incremental, seed):
        (X_tr, Y_tr, w_tr, rows_tr), val, rows_val = self._split_validation(Xs, Y, w, y, seed)
        # A zero-weight row changes nothing in training: leaving it out is exact.
        keep = w_tr > 0
        if not keep.all():  # (a copy of X, so only when needed)
            X_tr, Y_tr, w_tr, rows_tr = X_tr[keep], Y_tr[keep], w_tr[keep], rows_tr[keep]
        n = len(X_tr)
        if self.batch_size == "auto":
            # Smaller tables train in batches of 200 slots all the same, their
            # rows and weightless fillers (Trainer.prepare): the same steps,
            # and one compiled loop for every size instead of a trace for each
            # (Hitters' first fit in the table suite: 0.08 s against 0.86 s).
            slots = 200
            batch_size = min(slots, n)
        else:
            batch_size = min(self.batch_size, n)
            if self.batch_size > n:
                warnings.warn(
                    f"batch_size={self.batch_size} is larger than the {n} training rows; "
                    f"clipped to {n}.",
                    UserWarning,
                )
            slots = batch_size
        from skrowattn.interrupt import catch_interrupt

        epochs = 1 if incremental else self.max_iter

        def validate(weights):
            return self._validation_metrics(*val, values=weights)

        cosine = self.learning_rate == "cosine" and not incremental
        monitor = EpochMonitor(
            FitHistory.of(self), self.model_, None if val is None else validate, tol=self.tol,
            n_iter_no_change=self.n_iter_no_change, verbose=self.verbose, epochs=epochs,
            incremental=incremental, probe=X_tr[:256].astype(self._dtype), scheduled=cosine)
        rng = np.random.RandomState(seed)
        dtype = self._dtype
        # Validation runs after every epoch, so a call trains one epoch at a time.
        self._trainer.prepare(X_tr.astype(dtype, copy=False), w_tr.astype(dtype),
                              Y_tr.astype(dtype), slots, epochs, whole_epochs=val is None,
                              cosine=cosine, sure_epochs=monitor.sure_epochs())
        # Ctrl-C ends training after the current chunk; the model trained so far
        # is kept (see skrowattn.interrupt).
        with catch_interrupt() as guard:
            try:
                done = trained = 0
                adapt = self._penalty_epochs(epochs, incremental)
                while done < epochs:
                    block = min(self._trainer.epochs_per_call, epochs - done)
                    if done < adapt:  # a call ends where the penalty is set
                        block = min(block, adapt - done)
                    orders = [rng.permutation(n) if self.shuffle else np.arange(n)
                              for _ in range(block)]
                    start = time.perf_counter()
                    losses, cut = self._trainer.run_epochs(orders, monitor.stop_rule(),
                                                           stop=lambda: guard.requested)
                    seconds = (time.perf_counter() - start) / max(1, len(losses))
                    done += block
                    trained += len(losses)
                    if any(monitor.on_epoch_end(loss, seconds) for loss in losses):
                        break
                    if len(losses) < block and not cut:
                        # The compiled rule stopped where, by a rounding (JAX
                        # compares in 32 bits), the monitor's did not.
                        monitor.stopped = True
                        break
                    if guard.requested:
                        monitor.on_interrupt(cut or n, n)
                        break
                    if done == adapt:
                        self._trainer.scale_alpha(self._penalty_factor(X_tr, Y_tr, w_tr))
            finally:
                self._trainer.release()
        monitor.finish()
        monitor.history.write_to(self)
        # Each row's learned score, by its row of Xs (0: weight 0).
        scores = np.zeros(len(Xs))
        scores[rows_tr] = self._trainer.row_scores(n)
        if val is not None and self._trainer.row_rate and trained:
            # The held-out rows' scores, learned as many epochs against the
            # trained network, left as it is.
            X_val, Y_val, _, w_val = val
            held = w_val > 0
            scores[rows_val[held]] = self._trainer.score_rows(
                X_val[held].astype(dtype, copy=False), w_val[held].astype(dtype),
                Y_val[held].astype(dtype), batch_size, trained, rng, self.shuffle)
        return scores

    def _penalty_epochs(self, epochs, incremental):
        """After how many epochs of a fit ``_penalty_factor`` scales the
        penalty (0: never)."""
        return 0

    def _plan(self):
        """Inference plan for ``model_``, built once per fitted model."""
        self._check_fitted()
        plan = self.__dict__.get("_inference_plan")
        if plan is None or plan[0] is not self.model_:
            plan = (self.model_, inference.make_plan(self.model_))
            self._inference_plan = plan
        return plan[1]

    def _set_sample_weights(self, Xs, row_scores):
        """The training rows' weights: what their features give (the inference
        weight, as ``score_samples``), times ``exp`` of their learned scores."""
        self._inference_plan = None  # the weights just changed
        # The novelty term as fitted: score_samples keeps this scale whatever
        # set_params does after the fit.
        self._weight_novelty = float(self.novelty)
        raw = self._plan().weights(Xs, novelty=self._weight_novelty)
        self._weight_scale = float(np.mean(raw, dtype=np.float64))
        if not np.isfinite(self._weight_scale) or self._weight_scale <= 0:
            self._weight_scale = 1.0
        weights = raw.astype(np.float64) / self._weight_scale * np.exp(row_scores - row_scores.max())
        self.sample_weights_ = weights / weights.mean()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``X`` and ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights; an integer weight k counts as k copies of the row.

        Returns
        -------
        self : object
            The fitted estimator.

        Notes
        -----
        Ctrl-C (``KeyboardInterrupt``) during training stops after the current
        chunk of steps, keeps the weights trained so far (the best epoch's with
        early stopping) and returns with a warning. Any other exception leaves
        the estimator as it was before the call.

        The network computes in float32, as Keras does by default: float64
        steps took twice the time with the same scores. Float64 tables of at
        most 64 rows train in float64, which costs nothing there and keeps a
        fit exact to rounding (a row of integer weight k counts as k copies).
        """
        return self._fit(X, y, sample_weight, incremental=False)

    # -- inference -----------------------------------------------------------
    def _fit_preprocessing(self, X, sample_weight):
        if self._auto():
            self._prep = TabularPreprocessor()
            Xs = self._prep.fit_transform(X, sample_weight=sample_weight)
        elif self.preprocessing is None:
            self._prep = None
            Xs = X
        else:
            self._prep = clone(self.preprocessing)
            Xs = self._prep.fit_transform(X)
        Xs = self._as_network_input(Xs)
        self._dtype = network_dtype(Xs.dtype, len(Xs))  # a str: plain to pickle and to skops
        return Xs

    @staticmethod
    def _as_network_input(Z):
        if hasattr(Z, "toarray"):
            Z = Z.toarray()
        Z = np.asarray(Z)
        if Z.ndim != 2 or Z.dtype.kind not in "fiub":
            raise ValueError(
                "preprocessing must output a 2-D numeric array; it output an array of "
                f"shape {Z.shape} and dtype {Z.dtype}."
            )
        return Z if Z.dtype in (np.float32, np.float64) else Z.astype(np.float64)

    def _preprocess(self, X):
        if isinstance(self._prep, TabularPreprocessor):
            Z = self._prep.transform_unchecked(X)
        else:
            Z = X if self._prep is None else self._prep.transform(X)
        return self._as_network_input(Z).astype(self._dtype, copy=False)

    def _inference(self, X, what, **options):
        """The plan's ``what`` ("logits", "attention" or "weights") for new rows
        (``options``: the plan method's own, such as ``novelty``)."""
        self._check_fitted()
        X = self._validate_X(X, reset=False)
        if isinstance(X, np.ndarray) and (self._prep is None
                                          or isinstance(self._prep, TabularPreprocessor)):
            # Preprocessed block by block (possibly in threads), each just
            # before the network takes it; a user's transformer sees all rows.
            return getattr(self._plan(), what)(X, prepare=self._preprocess, **options)
        return getattr(self._plan(), what)(self._preprocess(X), **options)

    def _logits(self, X):
        with np.errstate(over="ignore", invalid="ignore"):
            logits = self._inference(X, "logits")
        if not np.all(np.isfinite(logits)):
            warnings.warn(
                f"{int(np.sum(~np.isfinite(logits)))} network outputs are NaN or infinite: "
                "the weights overflow on these rows. Refit with a lower "
                "learning_rate_init or a larger alpha.",
                RuntimeWarning,
            )
        return logits

    def transform(self, X):
        """The attention-weighted representation leaving the RowAttention layer.

        Computed in inference mode: each row's output depends on that row alone.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_attention_features)
        """
        # Keep the caller's float dtype, as scikit-learn transformers do
        # (float64 for anything else: a DataFrame, integers).
        X_dtype = getattr(X, "dtype", None)
        keep = X_dtype if X_dtype in (np.float32, np.float64) else np.float64
        return self._inference(X, "attention", dtype=keep)[0]

    def get_feature_names_out(self, input_features=None):
        """Names of the ``transform`` outputs: ``rowattention0``, ``rowattention1``, ...

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored; present for API consistency.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        from skrowattn.backbone import find_row_attention

        width = find_row_attention(self.model_).feature_dim
        prefix = self.__class__.__name__.lower().replace("classifier", "").replace(
            "regressor", ""
        )
        return np.asarray([f"{prefix}{i}" for i in range(width)], dtype=object)

    def score_samples(self, X):
        """Attention weight of each row, on the scale of ``sample_weights_``:
        what the rows' features give (with ``novelty``, lowered for rows far
        from the training rows); new rows have no learned row score.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        weights : ndarray of shape (n_samples,)
            Non-negative; the training rows average 1.
        """
        # (Models pickled before the term was the estimators' own have none.)
        raw = self._inference(X, "weights", novelty=self.__dict__.get("_weight_novelty", 0.0))
        return raw.astype(np.float64) / self._weight_scale

    # -- persistence -----------------------------------------------------------
    def __getstate__(self):
        state = super().__getstate__()
        return persistence.pack_state(state)

    def __setstate__(self, state):
        state = persistence.unpack_state(state, type(self).__name__)
        # A parameter added since the model was pickled takes its default.
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            if parameter.default is not inspect.Parameter.empty:
                state.setdefault(name, parameter.default)
        super().__setstate__(state)


class RowAttentionClassifier(ClassifierMixin, BaseRowAttention):
    """Neural-network classifier with row attention.

    A stack of Dense layers (as in ``sklearn.neural_network.MLPClassifier``)
    with a ``skrowattn.layers.RowAttention`` layer that learns a weight for
    every row. Inputs are standardized internally; predictions of a row do not
    depend on the other rows predicted with it.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers,), default=(200,)
        Width of each hidden Dense layer. Twice ``MLPClassifier``'s default
        width: measured on digits, the attention needs the room.
    attention_layer : int, default=1
        The RowAttention layer sits after hidden layer number ``attention_layer``
        (1 = the first); 0 puts it on the (standardized) inputs.
    attention_hidden_dim : int or None, default=16
        Hidden width of the attention's scoring network; ``None`` is the
        layer's own default, half the attended width (100 for the default
        hidden layer). 16 scores the same on the table suite (paired
        difference 0.0000, s.e. 0.0005) and takes a quarter off the time of
        a step (``docs/benchmarks.md``).
    temperature : float, default=1.0
        Softmax temperature of the attention: higher gives more contrasted
        weights. The layer's own default, 5.0, overfits small tables (measured:
        5-fold CV on breast-cancer, digits and diabetes); 1.0 does not.
    novelty : float, default=3.0
        Strength of a novelty term in the weights the estimator reports
        (``sample_weights_``, ``score_samples``): a row's weight is divided by
        ``(1 + d2) ** novelty``, ``d2`` the mean squared distance of the row's
        input to the attention layer from the training rows' mean, in standard
        deviations the layer tracked during training (``RowAttention.distance``).
        Rows far from the training rows get low weights; predictions do not
        change. The default weighs both kinds of bad rows: outliers and wrong
        labels get low weights alike (docs/sample-weights.md). ``0`` leaves the
        wrong labels alone to the row scores (a few hundredths of AUROC better
        for them); ``10`` marks outliers best, and hides wrong labels.
    row_score_rate : float, default=0.3
        Step size of a learned score for each training row ("data
        parameters", Saxena et al. 2019), read into ``sample_weights_``: each
        training step moves the scores of its rows by gradient descent on the
        batch's loss weighted by the softmax of the scores, so rows whose loss
        stays above their batches', such as wrong labels, get low weights
        (flipped labels: AUROC 0.98-1.00 on three tables,
        docs/sample-weights.md). The scores do not act on the network:
        predictions are the same whatever the rate. They only lower weights
        and start at 0 in every fit; rows held out for early stopping learn
        theirs against the trained network, left unchanged. ``0`` turns them
        off.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers.
    dropout : float, default=0.0
        Dropout rate after each hidden layer, in [0, 1).
    alpha : float, default=3.0
        L2 penalty: the objective is the mean log-loss over the training rows
        plus ``alpha / (2 n) * ||W||^2`` (``n``: the total sample weight), as
        ``MLPClassifier`` minimizes it with its full-batch solver, whatever the
        batch size; a Gaussian prior of variance ``1 / alpha`` on the weights,
        whatever the number of rows. Higher than the MLP's 1e-4, which is close
        to no penalty in this objective (5-fold CV repeated 5 times, accuracy /
        log-loss at 3.0 against 1e-4: breast-cancer 0.978 / 0.069 against
        0.974 / 0.095, digits 0.978 / 0.081 against 0.977 / 0.092, ISLR Default
        0.9732 / 0.0799 against 0.9727 / 0.0810).
    batch_size : int or "auto", default="auto"
        Rows per gradient step; ``"auto"`` is ``min(200, n_samples)``. (Under
        200 rows, each step's batch is padded with weightless rows to 200, so
        that tables of any size share one compiled training loop.)
    learning_rate : {"cosine", "constant"}, default="cosine"
        Schedule of Adam's learning rate in ``fit``. ``"cosine"`` decays it
        from ``learning_rate_init`` to 0 over the ``max_iter`` epochs (cosine
        annealing, Loshchilov & Hutter 2017): a short fit at a high rate that
        ends on small steps. ``"constant"`` keeps ``learning_rate_init``
        throughout, as ``MLPClassifier``'s Adam. Every ``fit``, warm-started
        or not, runs a schedule of its own; ``partial_fit`` has no horizon and
        keeps the constant rate. Chosen on the public table suite
        (``benchmarks/tables.py``): the cosine over 50 epochs from 8e-3 scores
        as 200 epochs at a constant 1e-3 (paired difference -0.0004, s.e.
        0.0009, 28 tables x 3 splits; mean accuracy over the 14 classification
        tables 0.8800 against 0.8814) in 0.56-0.67 of the fit time.
    learning_rate_init : float, default=8e-3
        Adam's learning rate (at the start of the schedule).
    max_iter : int, default=50
        Maximum number of epochs; with ``learning_rate="cosine"``, the epochs
        the rate decays over.
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the validation split; an int
        gives reproducible fits.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement.
    verbose : bool or int, default=False
        Print one line per epoch: loss, validation score, time.
    warm_start : bool, default=False
        Continue from the previous fit's weights.
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the rows and stop when their
        log-loss has not improved by ``tol`` for ``n_iter_no_change`` epochs;
        the weights of the epoch with the lowest held-out log-loss are kept.
        The log-loss rather than the accuracy: accuracy moves in steps of one
        held-out row, sits flat for epochs on imbalanced classes, and does not
        see overconfident probabilities. ``"auto"``: on from 2,000 rows, where
        the held-out rows cost little and estimate well; on smaller tables
        every row trains and ``alpha`` regularizes (chosen on the public table
        suite, ``benchmarks/tables.py``: the suite's score is flat for
        thresholds from 1,000 to 4,000 rows, and lower outside).
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement of more than ``tol`` before stopping.
    backbone : callable or None, default=None
        ``backbone(n_features, n_outputs)`` returning a Keras model that holds a
        ``RowAttention`` and outputs ``n_outputs`` logits; replaces the default
        network (and its architecture parameters).
    preprocessing : "auto", transformer or None, default="auto"
        ``"auto"``: fit straight on tables with mixed column types. Numeric columns
        are median-imputed (with a missing-value indicator for columns that had
        missing values at fit), categorical, string and boolean columns one-hot
        encoded (missing values and rare or unseen levels handled), datetime
        columns split into numeric parts, and everything standardized; see
        ``skrowattn.preprocessing.TabularPreprocessor``. ``None``: numeric
        input goes to the network as it is (unscaled; NaN is an error). A
        scikit-learn transformer: fitted and applied instead.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,) or list of arrays
        Class labels.
    model_ : keras.Model
        The trained network (outputs logits).
    sample_weights_ : ndarray of shape (n_samples,)
        Learned attention weight of each training row, validation rows included,
        in inference mode (with ``novelty``, divided by the novelty term),
        times ``exp`` of the row's learned score (``row_score_rate``): low for
        rows the network cannot fit, such as wrong labels. Non-negative with
        mean exactly 1.
    loss_curve_ : list of float
        Training loss at the end of each epoch.
    validation_scores_ : list of float or None
        Validation accuracy per epoch, when early stopping is on (else None).
    validation_loss_curve_ : list of float or None
        Validation log-loss per epoch, when early stopping is on; the kept
        weights are those of its lowest epoch.
    best_validation_score_ : float or None
        Validation accuracy of the kept epoch, when early stopping is on.
    best_loss_ : float
        Lowest training loss reached.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` has string column names.
    n_outputs_ : int
        Number of network outputs.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from skrowattn import RowAttentionClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = RowAttentionClassifier(max_iter=30, random_state=0).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> clf.sample_weights_.shape, round(clf.sample_weights_.mean(), 6)
    ((569,), 1.0)
    """

    _parameter_constraints = {
        **BaseRowAttention._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }
    _loss_kind = "multiclass"

    def __init__(
        self,
        hidden_layer_sizes=(200,),
        *,
        attention_layer=1,
        attention_hidden_dim=16,
        temperature=1.0,
        novelty=3.0,
        row_score_rate=0.3,
        activation="relu",
        dropout=0.0,
        alpha=3.0,
        batch_size="auto",
        learning_rate="cosine",
        learning_rate_init=8e-3,
        max_iter=50,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        backbone=None,
        preprocessing="auto",
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes,
            attention_layer=attention_layer,
            attention_hidden_dim=attention_hidden_dim,
            temperature=temperature,
            novelty=novelty,
            row_score_rate=row_score_rate,
            activation=activation,
            dropout=dropout,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            backbone=backbone,
            preprocessing=preprocessing,
        )
        self.class_weight = class_weight

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _encode_targets(self, y, sample_weight, first_call, classes):
        check_classification_targets(y)
        if np.ndim(y) == 2 and np.shape(y)[1] == 1:
            y = column_or_1d(y, warn=True)
        if first_call:
            kind = type_of_target(y)
            self._multilabel = kind == "multilabel-indicator"
            if classes is not None:
                self._binarizer = LabelBinarizer().fit(classes)
            else:
                self._binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._binarizer.classes_
            if len(self.classes_) < 2 and not self._multilabel:
                raise ValueError(
                    "RowAttentionClassifier needs samples of at least 2 classes in the "
                    f"data; got 1 class: {self.classes_[0]!r}."
                )
            if self._multilabel:
                self._loss_kind = "binary"
                self.n_outputs_ = y.shape[1]
            elif len(self.classes_) == 2:
                self._loss_kind = "binary"
                self.n_outputs_ = 1
            else:
                self._loss_kind = "multiclass"
                self.n_outputs_ = len(self.classes_)
        else:
            if not self._multilabel:
                unseen = np.setdiff1d(np.unique(y), self.classes_)
                if len(unseen):
                    raise ValueError(
                        f"y has labels {unseen.tolist()} not among classes_ "
                        f"{self.classes_.tolist()} seen at the first fit."
                    )
        if self._multilabel:
            y = np.asarray(y)
            if y.ndim != 2 or y.shape[1] != self.n_outputs_:
                raise ValueError("y is not a multilabel indicator of the fitted width.")
            return y.astype(np.float32)
        return self._binarizer.transform(y).astype(np.float32)

    def _class_weights(self, y):
        if self.class_weight is None or self._multilabel:
            return 1.0
        return compute_sample_weight(self.class_weight, np.ravel(y))

    def _validation_score(self, logits, y_val, w_val):
        return accuracy_score(y_val, self._decode(logits), sample_weight=w_val)

    def _proba_from_logits(self, logits):
        from scipy.special import expit, softmax

        logits = logits.astype(np.float64)
        if self._loss_kind == "binary":
            p = expit(logits)
            return p if self._multilabel else np.hstack([1.0 - p, p])
        return softmax(logits, axis=1)

    def _decode(self, logits):
        if self._multilabel:
            return (logits > 0).astype(int)
        if self._loss_kind == "binary":
            return self.classes_[(logits[:, 0] > 0).astype(int)]
        return self.classes_[np.argmax(logits, axis=1)]

    def predict(self, X):
        """Predicted class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        return self._decode(self._logits(X))

    def predict_proba(self, X):
        """Class probabilities of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return self._proba_from_logits(self._logits(X))

    def predict_log_proba(self, X):
        """Log of ``predict_proba``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        from scipy.special import log_expit, log_softmax

        logits = self._logits(X).astype(np.float64)
        if self._loss_kind == "binary":
            log_p = log_expit(logits)
            return log_p if self._multilabel else np.hstack([log_expit(-logits), log_p])
        return log_softmax(logits, axis=1)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``X``, ``y``, continuing from the current weights.

        Ctrl-C ends the epoch early and keeps what it trained (``n_iter_`` counts
        only whole epochs); any other exception leaves the estimator unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        classes : array-like of shape (n_classes,), default=None
            All classes; required on the first call, ignored after.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        if not hasattr(self, "model_"):
            if classes is None and type_of_target(y) != "multilabel-indicator":
                raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)


class RowAttentionRegressor(RegressorMixin, BaseRowAttention):
    """Neural-network regressor with row attention.

    A stack of Dense layers (as in ``sklearn.neural_network.MLPRegressor``)
    with a ``skrowattn.layers.RowAttention`` layer that learns a weight for
    every row. Inputs and targets are standardized internally, so the defaults
    work whatever the scale of ``y``.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers,), default=(200,)
        Width of each hidden Dense layer. Twice ``MLPClassifier``'s default
        width: measured on digits, the attention needs the room.
    attention_layer : int, default=1
        The RowAttention layer sits after hidden layer number ``attention_layer``
        (1 = the first); 0 puts it on the (standardized) inputs.
    attention_hidden_dim : int or None, default=16
        Hidden width of the attention's scoring network; ``None`` is the
        layer's own default, half the attended width. 16 scores the same on
        the table suite and takes a quarter off the time of a step.
    temperature : float, default=0.5
        Softmax temperature of the attention (0.5 measured best on diabetes; the
        layer's 5.0 overfits).
    novelty : float, default=3.0
        Strength of a novelty term in the reported weights
        (``sample_weights_``, ``score_samples``), as for
        ``RowAttentionClassifier``: rows far from the training rows get low
        weights; predictions do not change.
    row_score_rate : float, default=0.3
        Step size of a learned score for each training row, as for
        ``RowAttentionClassifier``: rows whose squared error stays above their
        batches', such as wrong targets, get low ``sample_weights_``. The
        scores do not act on the network; ``0`` turns them off.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers.
    dropout : float, default=0.0
        Dropout rate after each hidden layer.
    alpha : float, default=10.0
        L2 penalty: the objective is the mean squared error (halved) over the
        training rows plus ``alpha / (2 n) * ||W||^2`` (``n``: the total sample
        weight), as ``MLPRegressor`` minimizes it with its full-batch solver,
        whatever the batch size. Higher than the MLP's 1e-4: regression on
        small, noisy tables overfits without it. Chosen on the 14 regression
        tables of the public suite (``benchmarks/tables.py``, 3 splits each):
        mean R² 0.666 at 2, 0.671 at 6, 0.672 at 10, 0.668 at 20; 12 of 14
        tables level with the MLP pipeline at 10 and 20, 10 at 6. With
        ``alpha_scaling="noise"``, the strength the fit starts with.
    alpha_scaling : {"noise"} or None, default="noise"
        ``"noise"``: after the first 10 epochs of a ``fit`` (of more than
        10), ``alpha`` is multiplied by the training rows' unexplained
        variance (1 - R²) over 0.3, within 0.25 to 4, for the rest of the
        fit (``alpha_``): a noisy table, whose signal a network overfits, gets
        a stronger penalty, a table the network fits closely a weaker one (the
        best fixed strength differs by table: concrete wants 5, births14 20).
        On the public suite's 14 regression tables (3 splits each): paired
        R² +0.0040 (s.e. 0.0019) against a fixed ``alpha``, 13 tables level
        with the MLP pipeline against 11; on 6 held-out tables +0.0064
        (0.0031). ``None``: ``alpha`` throughout. ``partial_fit`` keeps
        ``alpha``.
    batch_size : int or "auto", default="auto"
        Rows per gradient step; ``"auto"`` is ``min(200, n_samples)``. (Under
        200 rows, each step's batch is padded with weightless rows to 200, so
        that tables of any size share one compiled training loop.)
    learning_rate : {"cosine", "constant"}, default="cosine"
        Schedule of Adam's learning rate in ``fit``. ``"cosine"`` decays it
        from ``learning_rate_init`` to 0 over the ``max_iter`` epochs (cosine
        annealing, Loshchilov & Hutter 2017): a short fit at a high rate that
        ends on small steps. ``"constant"`` keeps ``learning_rate_init``
        throughout, as ``MLPRegressor``'s Adam. Each ``fit`` (warm-started
        too) runs its own schedule; ``partial_fit``, which has no horizon,
        keeps the constant rate. Chosen on the public table suite
        (``benchmarks/tables.py``, 28 tables x 3 splits): the cosine over 50
        epochs from 8e-3 is level with 200 epochs at a constant 1e-3 (mean R²
        over the 14 regression tables 0.6721 against 0.6714) in 0.56-0.67 of
        the fit time.
    learning_rate_init : float, default=8e-3
        Adam's learning rate (at the start of the schedule).
    max_iter : int, default=50
        Maximum number of epochs; with ``learning_rate="cosine"``, the epochs
        the rate decays over.
    shuffle : bool, default=True
        Shuffle the rows every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the validation split.
    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement.
    verbose : bool or int, default=False
        Print one line per epoch.
    warm_start : bool, default=False
        Continue from the previous fit's weights.
    early_stopping : "auto" or bool, default="auto"
        Hold out ``validation_fraction`` of the rows and stop when their squared
        error has not improved by ``tol`` for ``n_iter_no_change`` epochs; the
        weights of the best epoch are kept. ``"auto"``: on from 2,000 rows,
        where the held-out rows cost little and estimate well; on smaller
        tables every row trains and ``alpha`` regularizes (chosen on the public
        table suite, ``benchmarks/tables.py``).
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    n_iter_no_change : int, default=10
        Epochs without improvement of more than ``tol`` before stopping.
    backbone : callable or None, default=None
        ``backbone(n_features, n_outputs)`` returning a Keras model that holds a
        ``RowAttention`` and outputs ``n_outputs`` values.
    preprocessing : "auto", transformer or None, default="auto"
        ``"auto"``: fit straight on tables with mixed column types. Numeric columns
        are median-imputed (with a missing-value indicator for columns that had
        missing values at fit), categorical, string and boolean columns one-hot
        encoded (missing values and rare or unseen levels handled), datetime
        columns split into numeric parts, and everything standardized; see
        ``skrowattn.preprocessing.TabularPreprocessor``. ``None``: numeric
        input goes to the network as it is (unscaled; NaN is an error). A
        scikit-learn transformer: fitted and applied instead.

    Attributes
    ----------
    model_ : keras.Model
        The trained network (outputs standardized targets).
    sample_weights_ : ndarray of shape (n_samples,)
        Learned attention weight of each training row (with ``novelty``,
        divided by the novelty term), times ``exp`` of the row's learned score
        (``row_score_rate``): low for rows whose targets the network cannot
        fit. Mean exactly 1.
    loss_curve_ : list of float
        Training loss (on standardized targets) per epoch.
    validation_scores_ : list of float or None
        Validation R² per epoch, when early stopping is on (else None).
    validation_loss_curve_ : list of float or None
        Validation loss (half the mean squared error of the standardized
        targets) per epoch, when early stopping is on; the kept weights are
        those of its lowest epoch.
    best_validation_score_ : float or None
        Validation R² of the kept epoch, when early stopping is on.
    best_loss_ : float
        Lowest training loss reached.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features, when ``X`` has string column names.
    n_outputs_ : int
        Number of targets.
    alpha_ : float
        The penalty's strength at the end of the last fit (``alpha_scaling``).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skrowattn import RowAttentionRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = RowAttentionRegressor(max_iter=20, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    _parameter_constraints = {
        **BaseRowAttention._parameter_constraints,
        "alpha_scaling": [StrOptions({"noise"}), None],
    }
    _loss_kind = "squared"

    def __init__(
        self,
        hidden_layer_sizes=(200,),
        *,
        attention_layer=1,
        attention_hidden_dim=16,
        temperature=0.5,
        novelty=3.0,
        row_score_rate=0.3,
        activation="relu",
        dropout=0.0,
        alpha=10.0,
        alpha_scaling="noise",
        batch_size="auto",
        learning_rate="cosine",
        learning_rate_init=8e-3,
        max_iter=50,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        early_stopping="auto",
        validation_fraction=0.1,
        n_iter_no_change=10,
        backbone=None,
        preprocessing="auto",
    ):
        self.alpha_scaling = alpha_scaling
        super().__init__(
            hidden_layer_sizes,
            attention_layer=attention_layer,
            attention_hidden_dim=attention_hidden_dim,
            temperature=temperature,
            novelty=novelty,
            row_score_rate=row_score_rate,
            activation=activation,
            dropout=dropout,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            backbone=backbone,
            preprocessing=preprocessing,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _encode_targets(self, y, sample_weight, first_call, classes):
        y = np.asarray(y)
        self._y_1d = y.ndim == 1 if first_call else self._y_1d
        Y = y.reshape(len(y), -1).astype(np.float64)
        if first_call:
            self.n_outputs_ = Y.shape[1]
            mean = np.average(Y, axis=0, weights=sample_weight)
            std = np.sqrt(np.average((Y - mean) ** 2, axis=0, weights=sample_weight))
            self._y_mean = mean
            self._y_scale = np.where(std > 0, std, 1.0)
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the estimator was fitted with "
                f"{self.n_outputs_}."
            )
        return (Y - self._y_mean) / self._y_scale

    def _validation_score(self, logits, y_val, w_val):
        return r2_score(y_val, self._unscale(logits), sample_weight=w_val)

    def _penalty_epochs(self, epochs, incremental):
        self.alpha_ = float(self.alpha)  # (partial_fit trains at alpha)
        scaled = self.alpha_scaling == "noise" and not incremental
        return PENALTY_EPOCHS if scaled and epochs > PENALTY_EPOCHS else 0

    def _penalty_factor(self, X, Y, w):
        """The penalty's factor for the rest of the fit (``alpha_scaling``):
        the training rows' unexplained variance (1 - R² of the standardized
        targets) after the first epochs, over NOISE_REFERENCE, clipped."""
        logits = inference.make_plan(self.model_).logits(X).astype(np.float64)
        # Summed over the outputs: 1 - (sum of squared errors) / (sum of squares)
        noise = 1.0 - r2_score(Y, logits, sample_weight=w, multioutput="variance_weighted")
        factor = float(np.clip(noise / NOISE_REFERENCE, *PENALTY_FACTORS))
        self.alpha_ = float(self.alpha) * factor
        return factor

    def _unscale(self, out):
        pred = out.astype(np.float64) * self._y_scale + self._y_mean
        return pred.ravel() if self._y_1d else pred

    def predict(self, X):
        """Predicted target of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._unscale(self._logits(X))

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``X``, ``y``, continuing from the current weights.

        Ctrl-C ends the epoch early and keeps what it trained (``n_iter_`` counts
        only whole epochs); any other exception leaves the estimator unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, incremental=True)
