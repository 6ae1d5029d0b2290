"""Reader and writer for the IDX format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x00 0x00 <type> <ndim>``, then
``ndim`` big-endian ``uint32`` dimensions, then the values in C order. The
(Fashion-)MNIST files use type ``0x08`` (unsigned byte) and are usually
gzip-compressed.
"""

import gzip
import os

import numpy as np

# IDX type code -> big-endian NumPy dtype
_IDX_TYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path):
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(
                f"{path} looks gzip-compressed but cannot be decompressed "
                f"({error}). The file is probably truncated or corrupt; "
                "delete it and get it again."
            ) from error
    return raw


def read_idx(path):
    """Read an IDX file (plain or gzip) into a NumPy array.

    Args:
        path: file path; gzip compression is detected from the content.

    Returns:
        NumPy array with the file's dimensions, in native byte order.

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if the magic number, the type code or the size do not
            match the IDX format (a truncated or corrupt file).

    Examples:
        >>> import numpy as np
        >>> from kgen.data import read_idx, write_idx
        >>> path = write_idx("images-idx3-ubyte.gz", np.arange(24, dtype="uint8").reshape(2, 3, 4))
        >>> images = read_idx(path)
        >>> images.dtype, images.shape, images[1, 2].tolist()
        (dtype('uint8'), (2, 3, 4), [20, 21, 22, 23])
    """
    path = os.fspath(path)
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(
            f"{path} is not an IDX file: expected the magic number to start "
            f"with two zero bytes; received {raw[:4]!r}. The file is corrupt or "
            "of another format."
        )
    type_code, ndim = raw[2], raw[3]
    if type_code not in _IDX_TYPES:
        raise ValueError(
            f"{path}: unknown IDX type code 0x{type_code:02x} (expected one of "
            f"{', '.join(f'0x{c:02x}' for c in _IDX_TYPES)}). The file is corrupt."
        )
    header_size = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header_size:
        raise ValueError(
            f"{path}: IDX header declares {ndim} dimension(s) but the file has "
            f"only {len(raw)} bytes. The file is truncated or corrupt."
        )
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    dtype = _IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    received = len(raw) - header_size
    if received != expected:
        raise ValueError(
            f"{path}: IDX header declares shape {shape} ({expected} bytes of "
            f"data) but the file holds {received} bytes. The file is truncated "
            "or corrupt; delete it and get it again."
        )
    values = np.frombuffer(raw, dtype=dtype, offset=header_size).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def write_idx(path, array, compress=None):
    """Write ``array`` as an IDX file (the inverse of `read_idx`).

    Args:
        path: destination; compressed with gzip when ``compress`` is True, or
            when ``compress`` is None and ``path`` ends with ``.gz``.
        array: NumPy array of a dtype IDX supports (``uint8``, ``int8``,
            ``int16``, ``int32``, ``float32``, ``float64``).
        compress: see ``path``.

    Returns:
        ``path``.

    Raises:
        ValueError: for an unsupported dtype or a scalar.
    """
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in _IDX_TYPES.items()}
    dtype = array.dtype.newbyteorder("=")
    if dtype not in codes or array.ndim == 0:
        raise ValueError(
            f"IDX stores arrays of rank >= 1 with dtype uint8, int8, int16, "
            f"int32, float32 or float64; received {array.dtype} with shape "
            f"{array.shape}."
        )
    code = codes[dtype]
    header = bytes([0, 0, code, array.ndim]) + b"".join(
        int(s).to_bytes(4, "big") for s in array.shape
    )
    payload = header + np.ascontiguousarray(array, dtype=_IDX_TYPES[code]).tobytes()
    path = os.fspath(path)
    if compress is None:
        compress = path.endswith(".gz")
    if compress:
        payload = gzip.compress(payload)
    with open(path, "wb") as handle:
        handle.write(payload)
    return path
