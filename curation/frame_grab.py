"""Decode one frame of a video into PNG bytes on stdout, in a separate, limited process.

PyAV/FFmpeg can crash the whole process on a malformed file (a segfault cannot be caught), so the
web process never decodes video itself: it runs ``python -m curation.frame_grab FILE`` with a
timeout, and this process caps its own memory and CPU time first. No Django imports here.
"""

import io
import os
import resource
import sys

MEMORY_LIMIT = 1024 * 1024 * 1024  # 1 GiB of address space
CPU_SECONDS = 20
# Refuse to decode frames larger than this (the size the stream declares, read before decoding):
# 8K UHD is far above any robot camera; a hostile header asking for more gets a clear refusal.
MAX_PIXELS = int(os.environ.get("PREVIEW_MAX_PIXELS", str(7680 * 4320)))


def grab(path: str) -> bytes:
    import av

    with av.open(path, options={"protocol_whitelist": "file"}) as container:
        stream = next(s for s in container.streams if s.type == "video")
        width, height = stream.codec_context.width or 0, stream.codec_context.height or 0
        if width * height > MAX_PIXELS:
            raise ValueError(
                f"the video declares {width}x{height} frames, above the preview limit of "
                f"{MAX_PIXELS} pixels"
            )
        for frame in container.decode(stream):
            image = frame.to_image()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            return buffer.getvalue()
    raise ValueError("the video has no frames")


def main() -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    try:
        png = grab(sys.argv[1])
    except Exception as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
