"""AI for science as the Spring 2026 report frames it: sub-domains, the rules that define them,
the organizations that publish in them, and a check of the rules against a labelled sample.

Plain Python (no Django), like ``growth.core.domains`` whose engine runs these rules.

The report names four areas: protein structure prediction, molecular dynamics, drug discovery
and the analysis of scientific data. They are sub-domains in their own right here, beside the
broader fields where researchers look for their own work (biology, chemistry, physics,
materials, climate and weather, astronomy, earth science). Every rule reads only what the Hub
exposes in a listing:

- task categories (datasets) and pipeline tags (models);
- library names (``library_name``, from huggingface.js ``model-libraries.ts``: ``anemoi``,
  ``bionemo``, ``boltzgen``, ``terratorch`` ...);
- model architectures (``config.json``'s ``model_type``, listed by the Hub as a tag: ``esm``);
- dataset and model tags;
- author organizations (the namespace), for organizations that publish science and little else.

**Exclusions.** Field words such as ``biology`` or ``chemistry`` also tag large-language-model
instruction and question-answering sets (``camel-ai/chemistry``, ScienceQA, MedMCQA...), which
are text-generation work rather than science. Science therefore excludes repos that are text
generation, question answering or instruction tuning, *unless* one of their rules marked
``overrides_exclusions`` matches: a specific science signal (a protein or SMILES tag, a science
library or architecture). A protein language model with a ``text-generation`` pipeline
(ProtGPT2) stays in; a chemistry Q&A set goes out.

**Medicine and mathematics** are no longer science sub-domains: on the Hub both are dominated
by LLM question-answering and reasoning sets (MedQA, GSM8K, NuminaMath), and the report's
AI-for-science framing does not include them.

The labelled sample (``science_sample.jsonl`` beside this file) holds real Hub repo ids with
their tags, pipeline tag, library and expected sub-domains, written from public model and
dataset cards; ``evaluate`` reports precision and recall per sub-domain (``manage.py
science_precision``), and the test suite fails below 0.9 precision.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from growth.core.rules import Rule

DOMAIN = "science"
SAMPLE_PATH = Path(__file__).with_name("science_sample.jsonl")

# Sub-domain key -> (label, what it covers). The first four are the report's areas.
TAXONOMY: dict[str, tuple[str, str]] = {
    "protein-structure": (
        "Protein structure",
        "protein structure prediction and design, and the protein language models they build on",
    ),
    "molecular-dynamics": (
        "Molecular dynamics",
        "trajectories, conformational ensembles, and machine-learned interatomic potentials",
    ),
    "drug-discovery": (
        "Drug discovery",
        "small molecules, binding affinity, ADMET and molecular property prediction, docking",
    ),
    "scientific-data-analysis": (
        "Scientific data analysis",
        "foundation models and corpora for measured or simulated scientific data: simulations "
        "of physical systems (PDEs), single-cell and microscopy data, spectra, sky surveys",
    ),
    "biology": ("Biology", "genomics, DNA and RNA language models, single-cell biology"),
    "chemistry": ("Chemistry", "molecules, reactions, quantum chemistry"),
    "physics": ("Physics", "particle, fluid and quantum physics, physical simulations"),
    "materials": ("Materials", "crystals, inorganic materials, catalysts"),
    "climate": ("Climate & weather", "weather forecasting, climate emulation, reanalysis data"),
    "astronomy": ("Astronomy", "astronomical surveys, galaxies, cosmology"),
    "earth-science": ("Earth science", "earth observation, remote sensing, geoscience, ecology"),
}
REPORT_AREAS = (
    "protein-structure",
    "molecular-dynamics",
    "drug-discovery",
    "scientific-data-analysis",
)


def _rules(subdomain: str, field: str, values: Iterable[str], reason: str, strong=False):
    return [
        Rule(DOMAIN, subdomain, field, value, reason, overrides_exclusions=strong)
        for value in values
    ]


def _exclude(subdomain: str, field: str, values: Iterable[str], reason: str):
    return [Rule(DOMAIN, subdomain, field, value, reason, exclude=True) for value in values]


LLM_REASON = (
    "general LLM text work (instruction, chat and question-answering sets and models) is "
    "text generation rather than science, unless a specific science signal also matches"
)

FIELD_WORD = (
    "the field's own name: LLM instruction and Q&A sets carry it too, so the exclusions apply"
)
NLP_REASON = "classifying or embedding text about a field is language work, not science"

SCIENCE_RULES: tuple[Rule, ...] = (
    # --- the domain itself ---------------------------------------------------------------------
    *_rules("", "tag", ["science", "ai4science", "ai-for-science"], "tags that name the domain"),
    *_rules("", "author", ["hugging-science"], "Hugging Face's science organization"),
    *_exclude("", "pipeline_tag", ["text-generation", "text2text-generation", "question-answering",
              "image-text-to-text", "summarization"], LLM_REASON),
    *_exclude("", "task_category", ["question-answering", "text-generation", "multiple-choice",
              "text2text-generation", "summarization", "table-question-answering"], LLM_REASON),
    *_exclude("", "tag", ["instruction-finetuning", "instruction-tuning", "sft", "chat", "rlhf",
              "dpo", "medical-qa", "conversational"], LLM_REASON),
    *_exclude("", "pipeline_tag", ["text-classification", "sentence-similarity"], NLP_REASON),
    *_exclude("", "task_category", ["text-classification", "sentence-similarity"], NLP_REASON),
    # --- protein structure ---------------------------------------------------------------------
    *_rules("protein-structure", "tag", ["protein", "proteins", "protein-structure",
            "protein-folding", "protein language model", "protein-language-model",
            "protein-design", "pdb", "alphafold", "protein-structure-prediction"],
            "tags protein model and dataset cards use", strong=True),
    *_rules("protein-structure", "library_name", ["boltzgen", "intellifold"],
            "protein structure and design libraries registered on the Hub", strong=True),
    *_rules("protein-structure", "architecture", ["esm"],
            "the ESM-2/ESMFold architecture; DNA models reuse it, hence the exclusion below"),
    *_rules("protein-structure", "architecture", ["progen"],
            "ProGen protein generators (text-generation pipeline, protein architecture)", strong=True),
    *_rules("protein-structure", "author", ["EvolutionaryScale", "Rostlab", "ElnaggarLab",
            "boltz-community"], "organizations that publish protein models only"),
    *_exclude("protein-structure", "tag", ["dna", "genomics", "rna"],
              "DNA and RNA models reuse the ESM architecture (Nucleotide Transformer): biology"),
    # --- molecular dynamics --------------------------------------------------------------------
    *_rules("molecular-dynamics", "tag", ["molecular-dynamics", "molecular dynamics",
            "md-simulation", "force-field", "interatomic-potential", "machine-learning-potential",
            "mlip", "conformational-ensembles", "md-trajectories"],
            "tags for MD data and learned potentials", strong=True),
    *_rules("molecular-dynamics", "author", ["colabfit", "compsciencelab"],
            "publishers of interatomic-potential data (ColabFit) and MD datasets (mdCATH)"),
    # --- drug discovery ------------------------------------------------------------------------
    *_rules("drug-discovery", "tag", ["drug-discovery", "drug discovery", "drug-development",
            "drug-design", "therapeutics", "admet", "binding-affinity", "molecular-property-prediction",
            "molecule-generation", "cheminformatics", "virtual-screening", "docking", "smiles",
            "selfies", "moleculenet"], "tags for drug discovery tasks and molecule data", strong=True),
    *_rules("drug-discovery", "library_name", ["docking-at-home", "uni-3dar"],
            "docking and 3D molecule generation libraries registered on the Hub", strong=True),
    *_rules("drug-discovery", "architecture", ["molformer"], "MoLFormer, a SMILES model"),
    *_rules("drug-discovery", "author", ["DeepChem", "GT4SD", "recursionpharma"],
            "organizations that publish drug-discovery models only"),
    # --- scientific data analysis --------------------------------------------------------------
    *_rules("scientific-data-analysis", "tag", ["scientific-data", "scientific-machine-learning",
            "sciml", "pde", "physics-simulation", "surrogate-model", "single-cell", "scrna-seq",
            "microscopy", "spectroscopy", "mass-spectrometry", "sky-survey"],
            "tags for measured or simulated scientific data", strong=True),
    *_rules("scientific-data-analysis", "author", ["polymathic-ai", "MultimodalUniverse"],
            "publishers of scientific foundation models and corpora (The Well, Multimodal Universe)"),
    # --- biology -------------------------------------------------------------------------------
    *_rules("biology", "tag", ["biology"], FIELD_WORD),
    *_rules("biology", "tag", ["genomics", "dna", "rna", "genome", "bioinformatics", "proteomics",
            "single-cell", "nucleotide", "gene-expression", "dna-language-model"],
            "tags specific to biological sequence and omics data", strong=True),
    *_rules("biology", "library_name", ["bionemo"], "NVIDIA BioNeMo models", strong=True),
    *_rules("biology", "architecture", ["hyenadna", "caduceus"], "DNA language model architectures"),
    *_rules("biology", "author", ["InstaDeepAI", "arcinstitute", "LongSafari", "zhihan1996",
            "ctheodoris", "songlab", "multimolecule"], "organizations that publish biology models"),
    # --- chemistry -----------------------------------------------------------------------------
    *_rules("chemistry", "tag", ["chemistry"], FIELD_WORD),
    *_rules("chemistry", "tag", ["molecules", "molecule", "smiles", "selfies", "quantum-chemistry",
            "dft", "reaction-prediction", "retrosynthesis", "cheminformatics"],
            "tags specific to chemical data", strong=True),
    *_rules("chemistry", "library_name", ["skala", "uni-3dar"],
            "quantum chemistry (Skala functional) and molecule libraries", strong=True),
    *_rules("chemistry", "architecture", ["molformer"], "MoLFormer, a SMILES model"),
    *_rules("chemistry", "author", ["DeepChem"], "DeepChem's cheminformatics models (ChemBERTa)"),
    # --- physics -------------------------------------------------------------------------------
    *_rules("physics", "tag", ["physics"], FIELD_WORD),
    *_rules("physics", "tag", ["particle-physics", "high-energy-physics", "fluid-dynamics", "cfd",
            "quantum-physics", "plasma-physics", "pde"], "tags specific to physics data", strong=True),
    *_rules("physics", "library_name", ["ising-decoding"], "quantum error-correction decoders",
            strong=True),
    # --- materials -----------------------------------------------------------------------------
    *_rules("materials", "tag", ["materials", "materials-science"], FIELD_WORD),
    *_rules("materials", "tag", ["crystal-structure", "crystals", "inorganic-materials",
            "catalysis", "metal-organic-frameworks"], "tags for materials data", strong=True),
    *_rules("materials", "author", ["fairchem", "orbital-materials"],
            "publishers of materials datasets and potentials (Open Catalyst, OMat24, Orb)"),
    # --- climate and weather -------------------------------------------------------------------
    *_rules("climate", "tag", ["climate", "weather", "meteorology"], FIELD_WORD),
    *_rules("climate", "tag", ["weather-forecasting", "era5", "climate-modeling", "nowcasting"],
            "tags for weather and climate data and models", strong=True),
    *_rules("climate", "library_name", ["anemoi", "fme"],
            "ECMWF's Anemoi and Ai2's climate emulator libraries", strong=True),
    *_rules("climate", "author", ["ecmwf", "openclimatefix"],
            "weather-forecasting organizations"),
    # --- astronomy -----------------------------------------------------------------------------
    *_rules("astronomy", "tag", ["astronomy", "astrophysics", "cosmology"], FIELD_WORD),
    *_rules("astronomy", "tag", ["galaxies", "exoplanets", "galaxy-zoo", "light-curves"],
            "tags for astronomical data", strong=True),
    *_rules("astronomy", "author", ["MultimodalUniverse", "mwalmsley", "UniverseTBD"],
            "astronomy organizations and projects"),
    # --- earth science -------------------------------------------------------------------------
    *_rules("earth-science", "tag", ["earth-science", "earth science", "geoscience", "ecology"],
            FIELD_WORD),
    *_rules("earth-science", "tag", ["earth-observation", "earth observation", "remote-sensing",
            "satellite-imagery", "geospatial", "seismology"],
            "tags for earth observation and geoscience data", strong=True),
    *_rules("earth-science", "library_name", ["terratorch", "torchgeo", "deepforest"],
            "earth observation libraries registered on the Hub", strong=True),
    *_rules("earth-science", "author", ["ibm-nasa-geospatial", "NASA-IMPACT", "ibm-esa-geospatial"],
            "earth observation foundation-model teams"),
)  # fmt: skip

# Organizations that publish science on the Hub (seeded into the admin's organization table,
# where they are not already, so they count as organizations on the heatmap and in the top lists;
# ECMWF is intergovernmental, hence no country).
SEED_SOURCE = "science seed list: the organization's Hub page and institutional pages"
SCIENCE_ORGANIZATIONS = [  # (namespace, developer type, country)
    ("hugging-science", "industry", "US"), ("EvolutionaryScale", "industry", "US"),
    ("Rostlab", "academic", "DE"), ("ElnaggarLab", "academic", "DE"),
    ("boltz-community", "academic", "US"), ("colabfit", "academic", "US"),
    ("compsciencelab", "academic", "ES"), ("DeepChem", "non-profit", "US"),
    ("GT4SD", "industry", "CH"), ("recursionpharma", "industry", "US"),
    ("polymathic-ai", "non-profit", "US"), ("MultimodalUniverse", "academic", ""),
    ("InstaDeepAI", "industry", "GB"), ("arcinstitute", "non-profit", "US"),
    ("LongSafari", "academic", "US"), ("zhihan1996", "academic", "US"),
    ("ctheodoris", "academic", "US"), ("songlab", "academic", "US"),
    ("multimolecule", "non-profit", ""), ("fairchem", "industry", "US"),
    ("orbital-materials", "industry", "GB"), ("ecmwf", "government", ""),
    ("openclimatefix", "non-profit", "GB"), ("mwalmsley", "academic", "CA"),
    ("UniverseTBD", "academic", ""), ("ibm-nasa-geospatial", "industry", "US"),
    ("NASA-IMPACT", "government", "US"), ("ibm-esa-geospatial", "industry", ""),
    ("genbio-ai", "industry", "US"), ("chandar-lab", "academic", "CA"),
    ("westlake-repl", "academic", "CN"), ("tahoebio", "industry", "US"),
    ("LeMaterial", "non-profit", ""), ("satellogic", "industry", "US"),
]  # fmt: skip


def subdomain_key(subdomain: str) -> str:
    return f"{DOMAIN}/{subdomain}"


# --- the labelled sample -------------------------------------------------------------------------


class SampleError(ValueError):
    """A labelled sample line that cannot be used, saying which line and why."""


def load_sample(path: str | Path = SAMPLE_PATH) -> list[dict]:
    """The labelled sample: one JSON object per line with ``id``, ``repo_type``, ``tags``,
    ``pipeline_tag``, ``library_name`` and ``expected`` (sub-domains; empty for a negative)."""
    items = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SampleError(f"{path}:{number}: not JSON ({exc.msg})") from exc
        if not isinstance(item.get("id"), str) or "/" not in item["id"]:
            raise SampleError(f"{path}:{number}: 'id' must be a Hub repo id 'owner/name'")
        if item.get("repo_type") not in ("model", "dataset"):
            raise SampleError(f"{path}:{number}: 'repo_type' must be model or dataset")
        unknown = set(item.get("expected", [])) - set(TAXONOMY)
        if unknown:
            raise SampleError(f"{path}:{number}: unknown sub-domain(s) {sorted(unknown)}")
        items.append(item)
    return items


def sample_table(items: list[dict]) -> pa.Table:
    """The sample as snapshot-format columns, so it runs through the same classifier."""
    return pa.table(
        {
            "repo_type": [i["repo_type"] for i in items],
            "id": [i["id"] for i in items],
            "author": [i.get("author") or i["id"].split("/")[0] for i in items],
            "tags": pa.array([i.get("tags", []) for i in items], pa.list_(pa.string())),
            "pipeline_tag": pa.array([i.get("pipeline_tag") for i in items], pa.string()),
            "library_name": pa.array([i.get("library_name") for i in items], pa.string()),
        }
    )


@dataclass
class Score:
    key: str
    true_positives: int
    false_positives: int
    false_negatives: int
    false_positive_ids: list[str]
    false_negative_ids: list[str]

    @property
    def precision(self) -> float | None:
        predicted = self.true_positives + self.false_positives
        return self.true_positives / predicted if predicted else None

    @property
    def recall(self) -> float | None:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else None


def evaluate(items: list[dict], rules: Iterable[Rule] | None = None) -> dict[str, Score]:
    """Precision and recall of the rules on the labelled sample, per sub-domain and for science.

    ``rules`` defaults to every default rule (robotics included: they do not touch science keys).
    """
    from growth.core.domains import DEFAULT_RULES, classify

    masks = classify(sample_table(items), DEFAULT_RULES if rules is None else rules)
    scores = {}
    for key in [DOMAIN, *(subdomain_key(s) for s in TAXONOMY)]:
        predicted = masks.get(key)
        tp = fp = fn = 0
        fps, fns = [], []
        for row, item in enumerate(items):
            expected = (
                bool(item.get("expected"))
                if key == DOMAIN
                else key.split("/")[1] in item.get("expected", [])
            )
            got = bool(predicted[row]) if predicted is not None else False
            if got and expected:
                tp += 1
            elif got:
                fp += 1
                fps.append(item["id"])
            elif expected:
                fn += 1
                fns.append(item["id"])
        scores[key] = Score(key, tp, fp, fn, fps, fns)
    return scores


def format_scores(scores: dict[str, Score]) -> str:
    """A plain-text table of precision and recall, with the repos each rule set gets wrong."""
    lines = [f"{'key':36} {'precision':>9} {'recall':>7} {'TP':>4} {'FP':>4} {'FN':>4}"]
    for score in scores.values():
        precision = "-" if score.precision is None else f"{score.precision:.3f}"
        recall = "-" if score.recall is None else f"{score.recall:.3f}"
        lines.append(
            f"{score.key:36} {precision:>9} {recall:>7} {score.true_positives:>4} "
            f"{score.false_positives:>4} {score.false_negatives:>4}"
        )
        for repo_id in score.false_positive_ids:
            lines.append(f"    false positive: {repo_id}")
        for repo_id in score.false_negative_ids:
            lines.append(f"    missed:         {repo_id}")
    return "\n".join(lines)


# --- the simulator's science repos -----------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """What repos of one sub-domain look like on the Hub: who publishes them and how they are
    tagged. Each repo draws one tag set; models also draw a library and a pipeline tag."""

    subdomain: str
    weight: float  # share of science repos
    organizations: tuple[str, ...]
    model_tags: tuple[tuple[str, ...], ...]
    dataset_tags: tuple[tuple[str, ...], ...]
    libraries: tuple[str | None, ...] = ("transformers",)
    pipelines: tuple[str | None, ...] = (None,)


PROFILES: tuple[Profile, ...] = (
    Profile("protein-structure", 0.18, ("facebook", "EvolutionaryScale", "Rostlab", "ElnaggarLab",
            "boltz-community", "westlake-repl", "chandar-lab", "nvidia"),
            (("esm", "fill-mask"), ("protein", "protein language model"), ("protein-folding", "protein"),
             ("boltzgen", "protein-design")),
            (("protein", "biology"), ("protein-structure", "pdb"), ("proteins",)),
            ("transformers", "esm", "boltzgen", None), ("fill-mask", None, "feature-extraction")),
    Profile("molecular-dynamics", 0.08, ("compsciencelab", "colabfit", "facebook", "microsoft",
            "orbital-materials"),
            (("mlip", "force-field"), ("interatomic-potential", "materials")),
            (("molecular dynamics", "chemistry"), ("mlip",), ("md-trajectories", "protein"))),
    Profile("drug-discovery", 0.14, ("DeepChem", "GT4SD", "recursionpharma", "google", "ibm-research"),
            (("smiles", "chemistry"), ("molformer", "chemistry"), ("therapeutics", "drug-development")),
            (("smiles", "molecules"), ("binding-affinity", "chemistry"), ("admet", "moleculenet"))),
    Profile("scientific-data-analysis", 0.1, ("polymathic-ai", "MultimodalUniverse", "ctheodoris",
            "tahoebio"),
            (("pde", "physics", "surrogate-model"), ("single-cell", "biology")),
            (("pde", "physics-simulation", "physics"), ("sky-survey", "astronomy"),
             ("single-cell", "scrna-seq"))),
    Profile("biology", 0.16, ("InstaDeepAI", "arcinstitute", "LongSafari", "zhihan1996", "songlab",
            "multimolecule"),
            (("esm", "DNA", "genomics"), ("hyenadna", "dna", "biology"), ("rna", "biology")),
            (("genomics", "DNA"), ("biology", "gene-expression"))),
    Profile("chemistry", 0.07, ("jablonkagroup", "yairschiff", "facebook"),
            (("chemistry", "dft"), ("molecules", "selfies")),
            (("chemistry", "molecules"), ("quantum-chemistry", "dft"))),
    Profile("materials", 0.05, ("fairchem", "LeMaterial", "orbital-materials"),
            (("materials", "crystal-structure"),), (("materials", "crystals"), ("catalysis",))),
    Profile("climate", 0.08, ("ecmwf", "openclimatefix", "allenai", "microsoft", "nvidia"),
            (("weather-forecasting", "anemoi"), ("climate", "era5")),
            (("weather", "era5"), ("climate", "nowcasting")), ("anemoi", "fme", None)),
    Profile("astronomy", 0.05, ("mwalmsley", "MultimodalUniverse", "Smith42"),
            (("galaxy-zoo", "astronomy"),), (("astronomy", "galaxies"), ("exoplanets",)),
            ("timm",), ("image-classification",)),
    Profile("earth-science", 0.09, ("ibm-nasa-geospatial", "NASA-IMPACT", "ibm-esa-geospatial",
            "satellogic"),
            (("earth-observation", "remote-sensing"), ("geospatial",)),
            (("remote-sensing", "satellite-imagery"), ("earth-observation",)),
            ("terratorch", "torchgeo", None)),
)  # fmt: skip
# Look-alikes the exclusions must keep out: LLM Q&A and instruction sets with field words.
LOOKALIKE_TAGS = (
    ("medical", "task_categories:question-answering"),
    ("biology", "instruction-finetuning"),
    ("chemistry", "task_categories:text-generation"),
    ("physics", "task_categories:multiple-choice"),
)
ORGANIZATION_SHARE = 0.6  # science repos from organizations (the rest: independent authors)
TAG_SLOTS = 3


@dataclass
class SimulatedSignals:
    """Per row: the extra tag slots (null = none) and overrides (null = keep the row's own)."""

    science: np.ndarray  # rows given a science profile (look-alikes excluded)
    tag_slots: list[pa.Array]
    author: pa.Array
    library: pa.Array
    pipeline: pa.Array


def simulated_signals(rng, mask: np.ndarray, repo_type: str, lookalike_share: float = 0.25):
    """Science signals for the rows in ``mask``: a sub-domain profile's tags, organization,
    library and pipeline, or (a ``lookalike_share`` of them) an LLM look-alike's tags."""
    n = len(mask)
    rows = np.flatnonzero(mask)
    lookalike = rows[rng.random(len(rows)) < lookalike_share]
    science_rows = np.setdiff1d(rows, lookalike)
    weights = np.array([p.weight for p in PROFILES])
    chosen = rng.choice(len(PROFILES), size=len(science_rows), p=weights / weights.sum())
    slots = [[None] * n for _ in range(TAG_SLOTS)]
    author, library, pipeline = [None] * n, [None] * n, [None] * n
    for row, profile_index in zip(science_rows.tolist(), chosen.tolist(), strict=True):
        profile = PROFILES[profile_index]
        options = profile.model_tags if repo_type == "model" else profile.dataset_tags
        tags = options[rng.integers(len(options))]
        for slot, tag in enumerate(tags[:TAG_SLOTS]):
            slots[slot][row] = tag
        if rng.random() < ORGANIZATION_SHARE:
            author[row] = profile.organizations[
                min(int(rng.zipf(1.6)) - 1, len(profile.organizations) - 1)
            ]
        if repo_type == "model":
            library[row] = profile.libraries[rng.integers(len(profile.libraries))]
            if "esm" in tags or "molformer" in tags or "hyenadna" in tags:
                library[row] = "transformers"
            pipeline[row] = profile.pipelines[rng.integers(len(profile.pipelines))]
    for row in lookalike.tolist():
        for slot, tag in enumerate(LOOKALIKE_TAGS[rng.integers(len(LOOKALIKE_TAGS))]):
            slots[slot][row] = tag
        if repo_type == "model":
            pipeline[row] = "text-generation"
    science = np.zeros(n, dtype=bool)
    science[science_rows] = True
    return SimulatedSignals(
        science=science,
        tag_slots=[pa.array(slot, pa.string()) for slot in slots],
        author=pa.array(author, pa.string()),
        library=pa.array(library, pa.string()),
        pipeline=pa.array(pipeline, pa.string()),
    )
