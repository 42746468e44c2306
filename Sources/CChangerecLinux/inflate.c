// gzip decompression through zlib's inflate, for the layers of a base image. zlib's z_stream holds
// pointers into the caller's buffers between calls, which Swift would have to manage; the shim keeps
// it on the C side, as it does for deflate.
#include "CChangerecLinux.h"
#include <zlib.h>

struct cchangerec_inflater {
    z_stream z;
    int member_ended;  // the last call ended a gzip member: the next input, if any, starts another
};

cchangerec_inflater *cchangerec_inflater_open(void) {
    cchangerec_inflater *inflater = calloc(1, sizeof *inflater);
    if (inflater == NULL) return NULL;
    // 15 + 16: a 32 KiB window and a gzip header and trailer (CRC-32 and length checked by zlib).
    if (inflateInit2(&inflater->z, 15 + 16) != Z_OK) {
        free(inflater);
        return NULL;
    }
    return inflater;
}

int cchangerec_inflate_step(cchangerec_inflater *inflater, const uint8_t *input, size_t length, uint8_t *output,
                            size_t capacity, size_t *consumed, size_t *produced, const char **reason) {
    z_stream *z = &inflater->z;
    *consumed = 0;
    *produced = 0;
    if (length > UINT32_MAX) length = UINT32_MAX;
    if (capacity > UINT32_MAX) capacity = UINT32_MAX;
    if (inflater->member_ended) {
        if (length == 0) return 1;
        // Concatenated members are one stream (RFC 1952, section 2.2), as gzip -d reads them.
        if (inflateReset(z) != Z_OK) {
            *reason = "inflateReset failed";
            return -1;
        }
        inflater->member_ended = 0;
    }
    z->next_in = (Bytef *)input;
    z->avail_in = (uInt)length;
    z->next_out = output;
    z->avail_out = (uInt)capacity;
    int rc = inflate(z, Z_NO_FLUSH);
    *consumed = length - z->avail_in;
    *produced = capacity - z->avail_out;
    switch (rc) {
    case Z_STREAM_END:
        inflater->member_ended = 1;
        return 1;
    case Z_OK:
    case Z_BUF_ERROR:  // no progress possible with what was given: more input or more room is needed
        return 0;
    case Z_MEM_ERROR:
        *reason = "out of memory";
        return -1;
    default:
        *reason = z->msg != NULL ? z->msg : "corrupt data";
        return -1;
    }
}

void cchangerec_inflater_close(cchangerec_inflater *inflater) {
    if (inflater == NULL) return;
    inflateEnd(&inflater->z);
    free(inflater);
}
