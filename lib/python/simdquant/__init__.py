"""simdquant: SIMD quantization kernels over NumPy arrays.

Every function runs the library's C++ kernels, dispatched at run time to the
best instruction set of this CPU (``active_target()``), bit-identical on every
target to the scalar reference. The GIL is released while a kernel runs.

Arrays
    Float tensors are ``float32``, ``float16``, or ``uint16`` holding bfloat16
    bits (``t.view(torch.int16).numpy().view(np.uint16)`` of a torch bfloat16
    tensor; ``float32_to_bfloat16`` makes them). Other dtypes are a TypeError:
    simdquant never rounds your data silently (``x.astype(np.float32)`` is
    yours to call). Any array-like works (a torch CPU tensor is read without
    a copy); C-contiguous aligned arrays are read in place, others are copied
    once. Results are new arrays, or ``out=`` arrays of exactly the right
    dtype and shape, C-contiguous, aligned, writeable and separate from the
    inputs (else ValueError / TypeError).

Layouts (``axis=`` / ``group_size=``)
    ``axis=None``: one (scale, zero point) for the tensor. ``axis=k``: one per
    index along axis k (per channel). ``group_size=g``: one per g consecutive
    elements along the last axis (the last group of a row may be shorter);
    parameters then have shape ``x.shape[:-1] + (ceil(x.shape[-1] / g),)``.

Errors
    Bad values (bit widths, scales, zero points, shapes, empty inputs) raise
    ValueError with the library's message; wrong types raise TypeError.

Threads
    Single-threaded unless ``set_num_threads(n)``: then every kernel splits
    its work over one pool of n threads (results identical to one thread).
"""

from ._native import (  # noqa: F401
    ErrorStats,
    QuantParams,
    QuantSpec,
    abs_max,
    active_target,
    available_targets,
    bfloat16_to_float32,
    calibrate_minmax,
    calibrate_mse,
    calibrate_percentile,
    choose_asymmetric_params,
    choose_symmetric_params,
    code_range,
    cpu_count,
    decode_float,
    decode_float_code,
    decode_mx,
    decode_nvfp4,
    dequantize,
    encode_float,
    encode_mx,
    encode_nvfp4,
    float16_to_float32,
    float32_to_bfloat16,
    float32_to_float16,
    float_format_max,
    get_num_threads,
    gguf_block_size,
    gguf_decode,
    gguf_encode,
    gguf_row_bytes,
    measure_error,
    measure_float_error,
    measure_mx_error,
    measure_nvfp4_error,
    min_max,
    nvfp4_tensor_scale,
    params_for_range,
    percentile,
    percentile_range,
    quantize,
    quantize_dynamic,
    restrict_to_target,
    set_num_threads,
)

__all__ = [name for name in dir() if not name.startswith("_")]
