"""Evaluation: likelihoods, sample quality, memorization, Bayes' rule, baselines.

Every function here works from a model's declaration (``kgen.contract``):
what it can report is read from ``model.capabilities`` and its data from
``model.data_convention``. Computation that is not a model runs in NumPy /
SciPy in float64, and every result says on how many examples it was
computed.
"""

from kgen.evaluation.classifier_score import ClassifierScore, classifier_score
from kgen.evaluation.density import GaussianMixture, KernelDensity
from kgen.evaluation.features import (
    DOMAIN_CLASSIFIER_DATASETS,
    INCEPTION_WEIGHTS_FILE,
    INCEPTION_WEIGHTS_URL,
    ClassifierFeatures,
    FeatureExtractor,
    InceptionFeatures,
    default_cache_dir,
    domain_classifier,
    features_name,
    to_unit_images,
)
from kgen.evaluation.floor import frechet_distance_floor, save_floor_plot
from kgen.evaluation.frechet import (
    FeatureStatistics,
    extract_features,
    feature_statistics,
    frechet_distance,
    frechet_distance_from_statistics,
)
from kgen.evaluation.generative_classifier import REJECTED, GenerativeClassifier
from kgen.evaluation.kernel import (
    KernelDistance,
    kernel_distance,
    polynomial_mmd2_unbiased,
)
from kgen.evaluation.likelihood import (
    evaluate_model,
    iwae_from_log_weights,
    likelihood_report,
    mean_and_standard_error,
)
from kgen.evaluation.manifold import (
    DensityCoverage,
    PrecisionRecall,
    density_coverage,
    knn_radii,
    precision_recall,
)
from kgen.evaluation.neighbours import (
    NearestNeighbours,
    memorization_report,
    nearest_neighbours,
    save_neighbours_grid,
)
from kgen.evaluation.outliers import (
    OutlierDetector,
    TypicalityTest,
    auroc,
    perturb_pixels,
)
from kgen.evaluation.report import evaluation_report
from kgen.evaluation.sample_quality import (
    DEFAULT_SAMPLE_METRICS,
    SAMPLE_METRICS,
    evaluate_samples,
    metric_name,
    sample_metrics,
)
from kgen.evaluation.scoring import (
    LogLikelihood,
    likelihood_estimator_name,
    log_likelihood,
)
from kgen.losses.likelihood import mean_bits_per_dim, nats_to_bits_per_dim
