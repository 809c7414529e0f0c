"""One `LayerKind` record per layer type the editor may draw: its category, description,
ports, how it is called, the states it can return and its key parameters.

This table is also the allowlist: a type not listed here is never instantiated. Lambda,
TFSMLayer, TorchModuleWrapper, JaxLayer, FlaxLayer and anything that loads code or files
are deliberately absent and refused by name (`REFUSED_TYPES`). Keras-free: the structure
checks and the port arithmetic read it without importing Keras; `publish` adds what Keras
itself says (constructor parameters and defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

CategoryId = Literal[
    "io",
    "core",
    "activation",
    "convolution",
    "pooling",
    "recurrent",
    "normalization",
    "regularization",
    "attention",
    "merging",
    "reshaping",
    "preprocessing",
    "augmentation",
    "wrappers",
    "models",
    "operations",
]

CallStyle = Literal["single", "list", "qkv", "none"]
"""How a layer receives the tensors at its input ports:
single: layer(x); list: layer([x0, x1, ...]) (merge layers, Dot, Attention);
qkv: layer(query, value, key=key) (MultiHeadAttention and friends); none: not a layer call
(Input, Output; a `Model` use is called with one tensor or a list)."""

SINGLE: CallStyle = "single"
LIST: CallStyle = "list"
QKV: CallStyle = "qkv"
MANY: Literal["many"] = "many"


@dataclass(frozen=True)
class LayerKind:
    type: str
    category: CategoryId
    description: str
    inputs: int | Literal["many"] = 1
    """Number of input ports, or "many" for layers taking any number (merge layers)."""
    call: CallStyle = SINGLE
    input_names: tuple[str, ...] | None = None
    """Names of the input ports when the layer names them (query, value, key: key optional)."""
    states: tuple[str, ...] = ()
    """Recurrent layers: the state outputs `return_state=True` adds, in Keras's order."""
    key_params: tuple[str, ...] = ()
    """Parameters shown on the node; empty: the first required ones."""
    argument_lists: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Call arguments that take a list of tensors, with a port name per item
    (Attention's `mask` is [query_mask, value_mask]); `initial_state` follows `states`."""
    wraps: str | None = None
    """Wrappers: the type of the inner layer a sample instance is made with."""
    keras: bool = True
    """False for the pseudo-types (Input, Output, Model) that are no Keras layer class."""
    module: str = "keras.layers"
    """Where the Keras class lives: keras.layers, or the Keras module of an internal
    layer of `keras.applications` (imported only from a `.keras`/JSON config naming
    exactly this module)."""
    training_only: bool = False
    """A random augmentation: it changes its input in training only and passes it through
    unchanged at inference (Keras's `training=False`)."""
    adapt_state: tuple[str, ...] = ()
    """A preprocessing layer that learns its state from data (`layer.adapt`): the params
    that give that state instead. The trainer adapts a node with none of them set on the
    run's training split before fit."""

    @property
    def variadic(self) -> bool:
        return self.inputs == MANY

    @property
    def min_inputs(self) -> int:
        """The fewest input ports that must be connected (an attention's key is optional)."""
        if self.variadic:
            return 1
        if self.input_names:
            return 2
        return int(self.inputs)

    @property
    def max_inputs(self) -> int | None:
        """The most input ports; None: any number."""
        return None if self.variadic else int(self.inputs)


_DIMENSIONS = {
    1: {"what": "a sequence", "axes": "the whole time axis", "size": "length"},
    2: {"what": "an image", "axes": "both spatial axes", "size": "size"},
    3: {"what": "a volume", "axes": "all three spatial axes", "size": "volume"},
}


def per_dimension(
    name: str,
    category: CategoryId,
    description: str,
    dims: tuple[int, ...] = (1, 2, 3),
    **more: Any,
) -> tuple[LayerKind, ...]:
    """The 1D, 2D and 3D members of a family: `{d}` in the name and the description is
    the dimension; `{what}`, `{axes}` and `{size}` say what it works on."""
    return tuple(
        LayerKind(name.format(d=d), category, description.format(d=d, **_DIMENSIONS[d]), **more)
        for d in dims
    )


def augmenting(type_name: str, description: str) -> LayerKind:
    """A random augmentation layer: active in training only."""
    return LayerKind(type_name, "augmentation", description, training_only=True)


def merging(type_name: str, description: str, inputs: int | Literal["many"] = MANY) -> LayerKind:
    """A layer called with the list of its inputs."""
    return LayerKind(type_name, "merging", description, inputs=inputs, call=LIST)


def attention(type_name: str, description: str, call: CallStyle, **more: Any) -> LayerKind:
    """A layer with query, value and (optional) key ports."""
    return LayerKind(
        type_name,
        "attention",
        description,
        inputs=3,
        call=call,
        input_names=("query", "value", "key"),
        **more,
    )


RNN_KEY_PARAMS = ("units", "return_sequences", "return_state")
CONV_KEY_PARAMS = ("filters", "kernel_size", "activation")

PSEUDO_KINDS = (
    LayerKind(
        "Input",
        "io",
        "A model input: shape, dtype, optional fixed batch size.",
        inputs=0,
        call="none",
        key_params=("shape", "dtype", "batch_size"),
        keras=False,
    ),
    LayerKind(
        "Output",
        "io",
        "A model output: names it and carries its loss, loss weight and metrics.",
        call="none",
        key_params=("loss", "loss_weight", "metrics"),
        keras=False,
    ),
    LayerKind(
        "Model",
        "models",
        "A use of a sub-graph defined once in `subgraphs`; uses share weights.",
        inputs=MANY,
        key_params=("subgraph",),
        keras=False,
    ),
    LayerKind(
        "Op",
        "operations",
        "A call of one keras.ops function (x + y, ops.reshape, x[:, 0], ...).",
        inputs=MANY,
        call="none",
        key_params=("function",),
        keras=False,
    ),
)

LAYER_KINDS = (
    # core
    LayerKind(
        "Dense",
        "core",
        "Fully connected layer: activation(dot(x, kernel) + bias).",
        key_params=("units", "activation"),
    ),
    LayerKind("EinsumDense", "core", "Dense layer defined by an einsum equation over the input."),
    LayerKind(
        "Embedding",
        "core",
        "Maps non-negative integer ids to dense vectors of fixed size.",
        key_params=("input_dim", "output_dim"),
    ),
    LayerKind("Identity", "core", "Passes its input through unchanged."),
    LayerKind(
        "LayerScale",
        "core",
        "ConvNeXt's learned per-channel scale of its input (keras.applications).",
        key_params=("init_values", "projection_dim"),
        module="keras.src.applications.convnext",
    ),
    LayerKind(
        "CustomScaleLayer",
        "merging",
        "InceptionResNetV2's residual sum x + scale * y (keras.applications).",
        inputs=2,
        call=LIST,
        key_params=("scale",),
        module="keras.src.applications.inception_resnet_v2",
    ),
    LayerKind("Masking", "core", "Masks timesteps whose features all equal mask_value."),
    # activation
    LayerKind(
        "Activation",
        "activation",
        "Applies a named activation function.",
        key_params=("activation",),
    ),
    LayerKind(
        "ReLU", "activation", "Rectified linear unit with optional cap, slope and threshold."
    ),
    LayerKind("LeakyReLU", "activation", "ReLU that lets a small negative slope through."),
    LayerKind("PReLU", "activation", "Leaky ReLU whose negative slope is learned."),
    LayerKind("ELU", "activation", "Exponential linear unit."),
    LayerKind("Softmax", "activation", "Softmax over an axis."),
    # convolution
    *per_dimension(
        "Conv{d}D", "convolution", "{d}D convolution over {what}.", key_params=CONV_KEY_PARAMS
    ),
    *per_dimension(
        "Conv{d}DTranspose", "convolution", "Transposed {d}D convolution (learned upsampling)."
    ),
    *per_dimension(
        "SeparableConv{d}D",
        "convolution",
        "Depthwise then pointwise {d}D convolution.",
        dims=(1, 2),
    ),
    *per_dimension(
        "DepthwiseConv{d}D",
        "convolution",
        "{d}D convolution applied to each channel separately.",
        dims=(1, 2),
    ),
    # pooling
    *per_dimension(
        "MaxPooling{d}D", "pooling", "Max over windows of {what}.", key_params=("pool_size",)
    ),
    *per_dimension(
        "AveragePooling{d}D",
        "pooling",
        "Average over windows of {what}.",
        key_params=("pool_size",),
    ),
    *per_dimension("GlobalMaxPooling{d}D", "pooling", "Max over {axes}."),
    *per_dimension("GlobalAveragePooling{d}D", "pooling", "Average over {axes}."),
    *per_dimension(
        "AdaptiveAveragePooling{d}D", "pooling", "Average pooling to a fixed output {size}."
    ),
    *per_dimension("AdaptiveMaxPooling{d}D", "pooling", "Max pooling to a fixed output {size}."),
    # recurrent
    LayerKind(
        "LSTM",
        "recurrent",
        "Long short-term memory layer.",
        states=("state_h", "state_c"),
        key_params=RNN_KEY_PARAMS,
    ),
    LayerKind(
        "GRU",
        "recurrent",
        "Gated recurrent unit layer.",
        states=("state",),
        key_params=RNN_KEY_PARAMS,
    ),
    LayerKind(
        "SimpleRNN",
        "recurrent",
        "Fully connected RNN whose output is fed back as input.",
        states=("state",),
        key_params=RNN_KEY_PARAMS,
    ),
    *per_dimension(
        "ConvLSTM{d}D",
        "recurrent",
        "LSTM with {d}D convolutions in its input and recurrent transforms.",
        states=("state_h", "state_c"),
    ),
    # normalization
    LayerKind(
        "BatchNormalization",
        "normalization",
        "Normalizes with batch statistics (moving averages at inference).",
    ),
    LayerKind(
        "LayerNormalization", "normalization", "Normalizes each sample over its feature axes."
    ),
    LayerKind("GroupNormalization", "normalization", "Normalizes over groups of channels."),
    LayerKind("RMSNormalization", "normalization", "Scales each sample by its root mean square."),
    LayerKind("UnitNormalization", "normalization", "Scales each sample to unit L2 norm."),
    # regularization
    LayerKind(
        "Dropout",
        "regularization",
        "Randomly sets a fraction of inputs to zero during training.",
        key_params=("rate",),
    ),
    *per_dimension(
        "SpatialDropout{d}D", "regularization", "Drops whole {d}D feature maps during training."
    ),
    LayerKind(
        "GaussianDropout",
        "regularization",
        "Multiplies by 1-centred Gaussian noise during training.",
    ),
    LayerKind(
        "GaussianNoise", "regularization", "Adds zero-centred Gaussian noise during training."
    ),
    LayerKind(
        "AlphaDropout", "regularization", "Dropout that keeps the mean and variance (for SELU)."
    ),
    LayerKind(
        "ActivityRegularization", "regularization", "Adds an L1/L2 penalty on the activations."
    ),
    # attention
    attention(
        "MultiHeadAttention",
        "Multi-head attention of a query over value (and key).",
        QKV,
        key_params=("num_heads", "key_dim"),
    ),
    attention(
        "GroupQueryAttention", "Grouped-query attention of a query over value (and key).", QKV
    ),
    attention(
        "Attention",
        "Dot-product (Luong) attention over [query, value, key].",
        LIST,
        argument_lists=(("mask", ("query_mask", "value_mask")),),
    ),
    attention(
        "AdditiveAttention",
        "Additive (Bahdanau) attention over [query, value, key].",
        LIST,
        argument_lists=(("mask", ("query_mask", "value_mask")),),
    ),
    # merging
    LayerKind(
        "Concatenate",
        "merging",
        "Concatenates its inputs along an axis.",
        inputs=MANY,
        call=LIST,
        key_params=("axis",),
    ),
    merging("Add", "Adds its inputs element-wise."),
    merging("Subtract", "Subtracts the second input from the first.", inputs=2),
    merging("Multiply", "Multiplies its inputs element-wise."),
    merging("Average", "Averages its inputs element-wise."),
    merging("Maximum", "Element-wise maximum of its inputs."),
    merging("Minimum", "Element-wise minimum of its inputs."),
    merging("Dot", "Dot product between samples of two inputs.", inputs=2),
    # reshaping
    LayerKind("Flatten", "reshaping", "Flattens all axes but the batch axis."),
    LayerKind(
        "Reshape",
        "reshaping",
        "Reshapes to target_shape (batch axis kept).",
        key_params=("target_shape",),
    ),
    LayerKind("Permute", "reshaping", "Permutes the non-batch axes."),
    LayerKind("RepeatVector", "reshaping", "Repeats a vector n times, giving a sequence."),
    *per_dimension("Cropping{d}D", "reshaping", "Crops {what} at its edges."),
    LayerKind("UpSampling1D", "reshaping", "Repeats each timestep size times."),
    LayerKind("UpSampling2D", "reshaping", "Upsamples an image by repeating or interpolating."),
    LayerKind("UpSampling3D", "reshaping", "Upsamples a volume by repeating."),
    *per_dimension("ZeroPadding{d}D", "reshaping", "Pads {what} with zeros at its edges."),
    # preprocessing
    LayerKind("Rescaling", "preprocessing", "Multiplies by scale and adds offset."),
    LayerKind(
        "Normalization",
        "preprocessing",
        "Shifts and scales by a mean and variance, given or adapted to the training data.",
        adapt_state=("mean", "variance"),
    ),
    LayerKind("Resizing", "preprocessing", "Resizes images to height x width."),
    LayerKind("CenterCrop", "preprocessing", "Crops the centre of images to height x width."),
    LayerKind(
        "Discretization",
        "preprocessing",
        "Buckets continuous values by bin boundaries, given or adapted to the training data.",
        adapt_state=("bin_boundaries",),
    ),
    LayerKind(
        "TextVectorization",
        "preprocessing",
        "Turns strings into token ids (or counts), with a vocabulary given or adapted to "
        "the training data.",
        key_params=("max_tokens", "output_sequence_length", "output_mode"),
        adapt_state=("vocabulary",),
    ),
    LayerKind(
        "StringLookup",
        "preprocessing",
        "Maps strings to integer ids (or one-hot rows), with a vocabulary given or adapted.",
        key_params=("max_tokens", "output_mode"),
        adapt_state=("vocabulary",),
    ),
    LayerKind(
        "IntegerLookup",
        "preprocessing",
        "Maps integers to contiguous ids (or one-hot rows), with a vocabulary given or adapted.",
        key_params=("max_tokens", "output_mode"),
        adapt_state=("vocabulary",),
    ),
    LayerKind(
        "CategoryEncoding", "preprocessing", "One-hot, multi-hot or count encoding of integer ids."
    ),
    LayerKind("Hashing", "preprocessing", "Hashes values into a fixed number of bins."),
    LayerKind(
        "HashedCrossing",
        "preprocessing",
        "Crosses categorical inputs by hashing.",
        inputs=MANY,
        call=LIST,
    ),
    LayerKind("MelSpectrogram", "preprocessing", "Mel spectrogram of raw audio."),
    LayerKind("STFTSpectrogram", "preprocessing", "Short-time Fourier transform of raw audio."),
    # augmentation
    augmenting("RandomFlip", "Randomly flips images during training."),
    augmenting("RandomRotation", "Randomly rotates images during training."),
    augmenting("RandomZoom", "Randomly zooms images during training."),
    augmenting("RandomTranslation", "Randomly translates images during training."),
    augmenting("RandomCrop", "Randomly crops images to height x width."),
    augmenting("RandomContrast", "Randomly adjusts contrast during training."),
    augmenting("RandomBrightness", "Randomly adjusts brightness during training."),
    augmenting("RandomHue", "Randomly shifts hue during training."),
    augmenting("RandomSaturation", "Randomly adjusts saturation during training."),
    augmenting("RandomSharpness", "Randomly adjusts sharpness during training."),
    augmenting("RandomShear", "Randomly shears images during training."),
    augmenting("RandomGrayscale", "Randomly converts images to grayscale."),
    augmenting("RandomInvert", "Randomly inverts image colours."),
    augmenting("RandomPosterization", "Randomly reduces the bits per colour channel."),
    augmenting("RandomColorDegeneration", "Randomly blends images with their grayscale."),
    augmenting("RandomColorJitter", "Random brightness, contrast, saturation and hue."),
    augmenting("RandomErasing", "Randomly erases rectangles of images."),
    augmenting("RandomGaussianBlur", "Randomly blurs images with a Gaussian kernel."),
    augmenting("RandomPerspective", "Random perspective transform of images."),
    augmenting("RandomElasticTransform", "Random elastic distortion of images."),
    LayerKind("AutoContrast", "augmentation", "Stretches image contrast to the full value range."),
    augmenting("Equalization", "Equalizes the histogram of images during training."),
    augmenting("Solarization", "Randomly inverts pixels above a threshold."),
    augmenting("AugMix", "AugMix chains of random augmentations."),
    augmenting("RandAugment", "RandAugment: random augmentations of random strength."),
    augmenting("CutMix", "Cuts and pastes patches between images of a batch."),
    augmenting("MixUp", "Blends pairs of images of a batch."),
    # wrappers
    LayerKind(
        "TimeDistributed",
        "wrappers",
        "Applies the inner layer or model to every timestep.",
        wraps="Dense",
    ),
    LayerKind(
        "Bidirectional",
        "wrappers",
        "Runs the inner recurrent layer forwards and backwards.",
        wraps="LSTM",
    ),
)

STRING_INPUT_TYPES = frozenset(
    {"TextVectorization", "StringLookup", "Hashing", "HashedCrossing", "Identity"}
)
"""The layers a string tensor may reach (a string Input feeds these, or a sub-graph)."""
STRINGS_ONLY_TYPES = frozenset({"TextVectorization", "StringLookup"})
"""The layers that take only strings (a StringLookup with `invert` takes ids)."""

KINDS: dict[str, LayerKind] = {k.type: k for k in (*PSEUDO_KINDS, *LAYER_KINDS)}
"""Every type a graph may use, by name (the allowlist)."""

REFUSED_TYPES = frozenset(
    {
        "Lambda",
        "TFSMLayer",
        "TorchModuleWrapper",
        "JaxLayer",
        "FlaxLayer",
        "Layer",
        "InputLayer",
        "Wrapper",
        "Pipeline",
        "RNN",
        "StackedRNNCells",
    }
)
"""Types refused with code `refused_type`: they run user code, load files, or need
Python objects (cells, layer lists) that a graph cannot carry. (The lookup layers are
offered; their `vocabulary` is a literal list, never a file path: `param_rules`.)"""


def kind(type_name: str) -> LayerKind | None:
    """The record of a type, or None for a type not offered."""
    return KINDS.get(type_name)


def keras_kind(type_name: str) -> LayerKind | None:
    """The record of a Keras layer type (not Input, Output or Model), or None."""
    found = KINDS.get(type_name)
    return found if found is not None and found.keras else None


def is_known(type_name: str) -> bool:
    return type_name in KINDS


def is_refused(type_name: str) -> bool:
    return type_name in REFUSED_TYPES
