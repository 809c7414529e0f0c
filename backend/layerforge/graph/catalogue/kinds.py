"""Curated metadata for the layer catalogue: which Keras layers are offered, in which
category, with a one-line description, and how they are called.

This table is also the allowlist: a type not listed here (and not a pseudo-type) is
never instantiated. Lambda, TFSMLayer, TorchModuleWrapper, JaxLayer, FlaxLayer and
anything that loads code or files are deliberately absent and refused by name.
"""

from __future__ import annotations

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
        "TextVectorization",
        "StringLookup",
        "IntegerLookup",
    }
)
"""Types refused with code `refused_type`: they run user code, load files, or need
Python objects (cells, layer lists, vocabulary files) that a graph cannot carry."""

# How a layer receives its input ports:
#   "single": layer(x)              (one port)
#   "list":   layer([x0, x1, ...])  (merge layers, Dot, Subtract, Attention)
#   "qkv":    layer(query, value, key=key)  (MultiHeadAttention and friends)
SINGLE, LIST, QKV = "single", "list", "qkv"

# type -> (category, description, inputs, call style, input port names or None)
_MANY = "many"

LAYERS: dict[str, tuple[str, str, int | str, str, list[str] | None]] = {
    # core
    "Dense": ("core", "Fully connected layer: activation(dot(x, kernel) + bias).", 1, SINGLE, None),
    "EinsumDense": (
        "core",
        "Dense layer defined by an einsum equation over the input.",
        1,
        SINGLE,
        None,
    ),
    "Embedding": (
        "core",
        "Maps non-negative integer ids to dense vectors of fixed size.",
        1,
        SINGLE,
        None,
    ),
    "Identity": ("core", "Passes its input through unchanged.", 1, SINGLE, None),
    "Masking": ("core", "Masks timesteps whose features all equal mask_value.", 1, SINGLE, None),
    # activation
    "Activation": ("activation", "Applies a named activation function.", 1, SINGLE, None),
    "ReLU": (
        "activation",
        "Rectified linear unit with optional cap, slope and threshold.",
        1,
        SINGLE,
        None,
    ),
    "LeakyReLU": ("activation", "ReLU that lets a small negative slope through.", 1, SINGLE, None),
    "PReLU": ("activation", "Leaky ReLU whose negative slope is learned.", 1, SINGLE, None),
    "ELU": ("activation", "Exponential linear unit.", 1, SINGLE, None),
    "Softmax": ("activation", "Softmax over an axis.", 1, SINGLE, None),
    # convolution
    "Conv1D": ("convolution", "1D convolution over sequences.", 1, SINGLE, None),
    "Conv2D": ("convolution", "2D convolution over images.", 1, SINGLE, None),
    "Conv3D": ("convolution", "3D convolution over volumes or videos.", 1, SINGLE, None),
    "Conv1DTranspose": (
        "convolution",
        "Transposed 1D convolution (learned upsampling).",
        1,
        SINGLE,
        None,
    ),
    "Conv2DTranspose": (
        "convolution",
        "Transposed 2D convolution (learned upsampling).",
        1,
        SINGLE,
        None,
    ),
    "Conv3DTranspose": (
        "convolution",
        "Transposed 3D convolution (learned upsampling).",
        1,
        SINGLE,
        None,
    ),
    "SeparableConv1D": ("convolution", "Depthwise then pointwise 1D convolution.", 1, SINGLE, None),
    "SeparableConv2D": ("convolution", "Depthwise then pointwise 2D convolution.", 1, SINGLE, None),
    "DepthwiseConv1D": (
        "convolution",
        "1D convolution applied to each channel separately.",
        1,
        SINGLE,
        None,
    ),
    "DepthwiseConv2D": (
        "convolution",
        "2D convolution applied to each channel separately.",
        1,
        SINGLE,
        None,
    ),
    # pooling
    "MaxPooling1D": ("pooling", "Max over windows of a sequence.", 1, SINGLE, None),
    "MaxPooling2D": ("pooling", "Max over windows of an image.", 1, SINGLE, None),
    "MaxPooling3D": ("pooling", "Max over windows of a volume.", 1, SINGLE, None),
    "AveragePooling1D": ("pooling", "Average over windows of a sequence.", 1, SINGLE, None),
    "AveragePooling2D": ("pooling", "Average over windows of an image.", 1, SINGLE, None),
    "AveragePooling3D": ("pooling", "Average over windows of a volume.", 1, SINGLE, None),
    "GlobalMaxPooling1D": ("pooling", "Max over the whole time axis.", 1, SINGLE, None),
    "GlobalMaxPooling2D": ("pooling", "Max over both spatial axes.", 1, SINGLE, None),
    "GlobalMaxPooling3D": ("pooling", "Max over all three spatial axes.", 1, SINGLE, None),
    "GlobalAveragePooling1D": ("pooling", "Average over the whole time axis.", 1, SINGLE, None),
    "GlobalAveragePooling2D": ("pooling", "Average over both spatial axes.", 1, SINGLE, None),
    "GlobalAveragePooling3D": ("pooling", "Average over all three spatial axes.", 1, SINGLE, None),
    "AdaptiveAveragePooling1D": (
        "pooling",
        "Average pooling to a fixed output length.",
        1,
        SINGLE,
        None,
    ),
    "AdaptiveAveragePooling2D": (
        "pooling",
        "Average pooling to a fixed output size.",
        1,
        SINGLE,
        None,
    ),
    "AdaptiveAveragePooling3D": (
        "pooling",
        "Average pooling to a fixed output volume.",
        1,
        SINGLE,
        None,
    ),
    "AdaptiveMaxPooling1D": ("pooling", "Max pooling to a fixed output length.", 1, SINGLE, None),
    "AdaptiveMaxPooling2D": ("pooling", "Max pooling to a fixed output size.", 1, SINGLE, None),
    "AdaptiveMaxPooling3D": ("pooling", "Max pooling to a fixed output volume.", 1, SINGLE, None),
    # recurrent
    "LSTM": ("recurrent", "Long short-term memory layer.", 1, SINGLE, None),
    "GRU": ("recurrent", "Gated recurrent unit layer.", 1, SINGLE, None),
    "SimpleRNN": (
        "recurrent",
        "Fully connected RNN whose output is fed back as input.",
        1,
        SINGLE,
        None,
    ),
    "ConvLSTM1D": (
        "recurrent",
        "LSTM with 1D convolutions in its input and recurrent transforms.",
        1,
        SINGLE,
        None,
    ),
    "ConvLSTM2D": (
        "recurrent",
        "LSTM with 2D convolutions in its input and recurrent transforms.",
        1,
        SINGLE,
        None,
    ),
    "ConvLSTM3D": (
        "recurrent",
        "LSTM with 3D convolutions in its input and recurrent transforms.",
        1,
        SINGLE,
        None,
    ),
    # normalization
    "BatchNormalization": (
        "normalization",
        "Normalizes with batch statistics (moving averages at inference).",
        1,
        SINGLE,
        None,
    ),
    "LayerNormalization": (
        "normalization",
        "Normalizes each sample over its feature axes.",
        1,
        SINGLE,
        None,
    ),
    "GroupNormalization": ("normalization", "Normalizes over groups of channels.", 1, SINGLE, None),
    "RMSNormalization": (
        "normalization",
        "Scales each sample by its root mean square.",
        1,
        SINGLE,
        None,
    ),
    "UnitNormalization": ("normalization", "Scales each sample to unit L2 norm.", 1, SINGLE, None),
    # regularization
    "Dropout": (
        "regularization",
        "Randomly sets a fraction of inputs to zero during training.",
        1,
        SINGLE,
        None,
    ),
    "SpatialDropout1D": (
        "regularization",
        "Drops whole 1D feature maps during training.",
        1,
        SINGLE,
        None,
    ),
    "SpatialDropout2D": (
        "regularization",
        "Drops whole 2D feature maps during training.",
        1,
        SINGLE,
        None,
    ),
    "SpatialDropout3D": (
        "regularization",
        "Drops whole 3D feature maps during training.",
        1,
        SINGLE,
        None,
    ),
    "GaussianDropout": (
        "regularization",
        "Multiplies by 1-centred Gaussian noise during training.",
        1,
        SINGLE,
        None,
    ),
    "GaussianNoise": (
        "regularization",
        "Adds zero-centred Gaussian noise during training.",
        1,
        SINGLE,
        None,
    ),
    "AlphaDropout": (
        "regularization",
        "Dropout that keeps the mean and variance (for SELU).",
        1,
        SINGLE,
        None,
    ),
    "ActivityRegularization": (
        "regularization",
        "Adds an L1/L2 penalty on the activations.",
        1,
        SINGLE,
        None,
    ),
    # attention
    "MultiHeadAttention": (
        "attention",
        "Multi-head attention of a query over value (and key).",
        3,
        QKV,
        ["query", "value", "key"],
    ),
    "GroupQueryAttention": (
        "attention",
        "Grouped-query attention of a query over value (and key).",
        3,
        QKV,
        ["query", "value", "key"],
    ),
    "Attention": (
        "attention",
        "Dot-product (Luong) attention over [query, value, key].",
        3,
        LIST,
        ["query", "value", "key"],
    ),
    "AdditiveAttention": (
        "attention",
        "Additive (Bahdanau) attention over [query, value, key].",
        3,
        LIST,
        ["query", "value", "key"],
    ),
    # merging
    "Concatenate": ("merging", "Concatenates its inputs along an axis.", _MANY, LIST, None),
    "Add": ("merging", "Adds its inputs element-wise.", _MANY, LIST, None),
    "Subtract": ("merging", "Subtracts the second input from the first.", 2, LIST, None),
    "Multiply": ("merging", "Multiplies its inputs element-wise.", _MANY, LIST, None),
    "Average": ("merging", "Averages its inputs element-wise.", _MANY, LIST, None),
    "Maximum": ("merging", "Element-wise maximum of its inputs.", _MANY, LIST, None),
    "Minimum": ("merging", "Element-wise minimum of its inputs.", _MANY, LIST, None),
    "Dot": ("merging", "Dot product between samples of two inputs.", 2, LIST, None),
    # reshaping
    "Flatten": ("reshaping", "Flattens all axes but the batch axis.", 1, SINGLE, None),
    "Reshape": ("reshaping", "Reshapes to target_shape (batch axis kept).", 1, SINGLE, None),
    "Permute": ("reshaping", "Permutes the non-batch axes.", 1, SINGLE, None),
    "RepeatVector": ("reshaping", "Repeats a vector n times, giving a sequence.", 1, SINGLE, None),
    "Cropping1D": ("reshaping", "Crops a sequence at both ends.", 1, SINGLE, None),
    "Cropping2D": ("reshaping", "Crops an image at its borders.", 1, SINGLE, None),
    "Cropping3D": ("reshaping", "Crops a volume at its borders.", 1, SINGLE, None),
    "UpSampling1D": ("reshaping", "Repeats each timestep size times.", 1, SINGLE, None),
    "UpSampling2D": (
        "reshaping",
        "Upsamples an image by repeating or interpolating.",
        1,
        SINGLE,
        None,
    ),
    "UpSampling3D": ("reshaping", "Upsamples a volume by repeating.", 1, SINGLE, None),
    "ZeroPadding1D": ("reshaping", "Pads a sequence with zeros at both ends.", 1, SINGLE, None),
    "ZeroPadding2D": ("reshaping", "Pads an image with zeros at its borders.", 1, SINGLE, None),
    "ZeroPadding3D": ("reshaping", "Pads a volume with zeros at its borders.", 1, SINGLE, None),
    # preprocessing
    "Rescaling": ("preprocessing", "Multiplies by scale and adds offset.", 1, SINGLE, None),
    "Normalization": (
        "preprocessing",
        "Shifts and scales by a given mean and variance.",
        1,
        SINGLE,
        None,
    ),
    "Resizing": ("preprocessing", "Resizes images to height x width.", 1, SINGLE, None),
    "CenterCrop": (
        "preprocessing",
        "Crops the centre of images to height x width.",
        1,
        SINGLE,
        None,
    ),
    "Discretization": (
        "preprocessing",
        "Buckets continuous values by bin boundaries.",
        1,
        SINGLE,
        None,
    ),
    "CategoryEncoding": (
        "preprocessing",
        "One-hot, multi-hot or count encoding of integer ids.",
        1,
        SINGLE,
        None,
    ),
    "Hashing": ("preprocessing", "Hashes values into a fixed number of bins.", 1, SINGLE, None),
    "HashedCrossing": (
        "preprocessing",
        "Crosses categorical inputs by hashing.",
        _MANY,
        LIST,
        None,
    ),
    "MelSpectrogram": ("preprocessing", "Mel spectrogram of raw audio.", 1, SINGLE, None),
    "STFTSpectrogram": (
        "preprocessing",
        "Short-time Fourier transform of raw audio.",
        1,
        SINGLE,
        None,
    ),
    # augmentation
    "RandomFlip": ("augmentation", "Randomly flips images during training.", 1, SINGLE, None),
    "RandomRotation": ("augmentation", "Randomly rotates images during training.", 1, SINGLE, None),
    "RandomZoom": ("augmentation", "Randomly zooms images during training.", 1, SINGLE, None),
    "RandomTranslation": (
        "augmentation",
        "Randomly translates images during training.",
        1,
        SINGLE,
        None,
    ),
    "RandomCrop": ("augmentation", "Randomly crops images to height x width.", 1, SINGLE, None),
    "RandomContrast": (
        "augmentation",
        "Randomly adjusts contrast during training.",
        1,
        SINGLE,
        None,
    ),
    "RandomBrightness": (
        "augmentation",
        "Randomly adjusts brightness during training.",
        1,
        SINGLE,
        None,
    ),
    "RandomHue": ("augmentation", "Randomly shifts hue during training.", 1, SINGLE, None),
    "RandomSaturation": (
        "augmentation",
        "Randomly adjusts saturation during training.",
        1,
        SINGLE,
        None,
    ),
    "RandomSharpness": (
        "augmentation",
        "Randomly adjusts sharpness during training.",
        1,
        SINGLE,
        None,
    ),
    "RandomShear": ("augmentation", "Randomly shears images during training.", 1, SINGLE, None),
    "RandomGrayscale": ("augmentation", "Randomly converts images to grayscale.", 1, SINGLE, None),
    "RandomInvert": ("augmentation", "Randomly inverts image colours.", 1, SINGLE, None),
    "RandomPosterization": (
        "augmentation",
        "Randomly reduces the bits per colour channel.",
        1,
        SINGLE,
        None,
    ),
    "RandomColorDegeneration": (
        "augmentation",
        "Randomly blends images with their grayscale.",
        1,
        SINGLE,
        None,
    ),
    "RandomColorJitter": (
        "augmentation",
        "Random brightness, contrast, saturation and hue.",
        1,
        SINGLE,
        None,
    ),
    "RandomErasing": ("augmentation", "Randomly erases rectangles of images.", 1, SINGLE, None),
    "RandomGaussianBlur": (
        "augmentation",
        "Randomly blurs images with a Gaussian kernel.",
        1,
        SINGLE,
        None,
    ),
    "RandomPerspective": (
        "augmentation",
        "Random perspective transform of images.",
        1,
        SINGLE,
        None,
    ),
    "RandomElasticTransform": (
        "augmentation",
        "Random elastic distortion of images.",
        1,
        SINGLE,
        None,
    ),
    "AutoContrast": (
        "augmentation",
        "Stretches image contrast to the full value range.",
        1,
        SINGLE,
        None,
    ),
    "Equalization": ("augmentation", "Equalizes the histogram of images.", 1, SINGLE, None),
    "Solarization": ("augmentation", "Randomly inverts pixels above a threshold.", 1, SINGLE, None),
    "AugMix": ("augmentation", "AugMix chains of random augmentations.", 1, SINGLE, None),
    "RandAugment": (
        "augmentation",
        "RandAugment: random augmentations of random strength.",
        1,
        SINGLE,
        None,
    ),
    "CutMix": (
        "augmentation",
        "Cuts and pastes patches between images of a batch.",
        1,
        SINGLE,
        None,
    ),
    "MixUp": ("augmentation", "Blends pairs of images of a batch.", 1, SINGLE, None),
    # wrappers (inner layer in `inner`)
    "TimeDistributed": (
        "wrappers",
        "Applies the inner layer or model to every timestep.",
        1,
        SINGLE,
        None,
    ),
    "Bidirectional": (
        "wrappers",
        "Runs the inner recurrent layer forwards and backwards.",
        1,
        SINGLE,
        None,
    ),
}

RECURRENT_STATES = {
    "LSTM": 2,
    "GRU": 1,
    "SimpleRNN": 1,
    "ConvLSTM1D": 2,
    "ConvLSTM2D": 2,
    "ConvLSTM3D": 2,
}
"""Recurrent layers with `return_state`: the number of state outputs it adds."""

WRAPPERS = frozenset({"TimeDistributed", "Bidirectional"})

PSEUDO_TYPES: dict[str, tuple[str, str]] = {
    "Input": ("io", "A model input: shape, dtype, optional fixed batch size."),
    "Output": ("io", "A model output: names it and carries its loss, loss weight and metrics."),
    "Model": ("models", "A use of a sub-graph defined once in `subgraphs`; uses share weights."),
}
