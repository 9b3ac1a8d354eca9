#ifndef PREWARM_CZLIB_SHIM_H
#define PREWARM_CZLIB_SHIM_H

#include <zlib.h>

// inflateInit2 is a macro and does not import into Swift. These typed wrappers are the only
// additions to the C API: a raw inflate stream (no zlib or gzip header), as zip entries use.
static inline int czlib_inflate_init_raw(z_stream *stream) {
    return inflateInit2(stream, -MAX_WBITS);
}

// A gzip stream (members concatenated, as `gzip` and image layers have them).
static inline int czlib_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 16 + MAX_WBITS);
}

#endif
