// Kernel calls that need _GNU_SOURCE (set in Package.swift for this target) or structs Swift cannot
// import: file handles, fanotify's variable-length records, the netlink proc connector.
#include "CChangerecLinux.h"

/// Decodes the variable-length record at `offset`: metadata, then info records each starting with a
/// header giving its type and length; a handle is a `struct file_handle` whose size is in its first
/// field, and a name follows it NUL-terminated. Returns -1 when the record does not fit.
int cchangerec_fanotify_event_at(const uint8_t *buffer, size_t available, size_t offset,
                                               struct cchangerec_fan_event *out) {
    struct fanotify_event_metadata meta;
    if (offset + sizeof meta > available) return -1;
    memcpy(&meta, buffer + offset, sizeof meta);
    if (meta.event_len < sizeof meta || offset + meta.event_len > available) return -1;
    memset(out, 0, sizeof *out);
    out->mask = meta.mask;
    out->pid = meta.pid;
    out->fd = meta.fd;
    out->event_length = meta.event_len;
    size_t position = offset + meta.metadata_len;
    size_t end = offset + meta.event_len;
    while (position + sizeof(struct fanotify_event_info_header) <= end && out->info_count < 4) {
        struct fanotify_event_info_header header;
        memcpy(&header, buffer + position, sizeof header);
        if (header.len < sizeof header || position + header.len > end) return -1;
        struct cchangerec_fan_info *info = &out->info[out->info_count];
        info->type = header.info_type;
        size_t fixed = sizeof(struct fanotify_event_info_header) + sizeof(__kernel_fsid_t);
        if (header.len >= fixed + sizeof(struct file_handle)) {
            __kernel_fsid_t fsid;
            memcpy(&fsid, buffer + position + sizeof header, sizeof fsid);
            info->fsid0 = fsid.val[0];
            info->fsid1 = fsid.val[1];
            struct file_handle handle;
            memcpy(&handle, buffer + position + fixed, sizeof handle);
            size_t handle_end = fixed + sizeof handle + handle.handle_bytes;
            if (handle_end > header.len) return -1;
            info->handle_type = handle.handle_type;
            info->handle_offset = (uint32_t)(position + fixed + sizeof handle);
            info->handle_length = handle.handle_bytes;
            if (header.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME ||
                header.info_type == FAN_EVENT_INFO_TYPE_OLD_DFID_NAME ||
                header.info_type == FAN_EVENT_INFO_TYPE_NEW_DFID_NAME) {
                info->name_offset = (uint32_t)(position + handle_end);
                info->name_length = (uint32_t)strnlen((const char *)buffer + position + handle_end, header.len - handle_end);
            }
        }
        out->info_count++;
        position += header.len;
    }
    return 0;
}


/// name_to_handle_at(2) takes a variable-length struct; this fills `bytes` (up to MAX_HANDLE_SZ) instead.
/// open_by_handle_at(2) takes the same variable-length struct.
int cchangerec_name_to_handle(int dirfd, const char *path, int flags, uint8_t *bytes,
                                            uint32_t *length, int32_t *type, int32_t *mount_id) {
    union { struct file_handle handle; uint8_t storage[sizeof(struct file_handle) + MAX_HANDLE_SZ]; } u;
    u.handle.handle_bytes = MAX_HANDLE_SZ;
    int mnt = 0;
    int rc = name_to_handle_at(dirfd, path, &u.handle, &mnt, flags);
    if (rc != 0) return rc;
    memcpy(bytes, u.handle.f_handle, u.handle.handle_bytes);
    *length = u.handle.handle_bytes;
    *type = u.handle.handle_type;
    *mount_id = mnt;
    return 0;
}

int cchangerec_open_by_handle(int mount_fd, const uint8_t *bytes, uint32_t length, int32_t type, int flags) {
    union { struct file_handle handle; uint8_t storage[sizeof(struct file_handle) + MAX_HANDLE_SZ]; } u;
    if (length > MAX_HANDLE_SZ) { errno = EINVAL; return -1; }
    u.handle.handle_bytes = length;
    u.handle.handle_type = type;
    memcpy(u.handle.f_handle, bytes, length);
    return open_by_handle_at(mount_fd, &u.handle, flags);
}


/// Opens a netlink connector socket subscribed to process events (fork, exec, comm, exit): the kernel
/// sends them in order, so a process is known before any change it makes is read.
int cchangerec_proc_events_open(void) {
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
    if (fd < 0) return -1;
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
    struct sockaddr_nl address;
    memset(&address, 0, sizeof address);
    address.nl_family = AF_NETLINK;
    address.nl_groups = CN_IDX_PROC;
    address.nl_pid = 0;
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) { int e = errno; close(fd); errno = e; return -1; }
    // nlmsghdr, then cn_msg (whose data is a flexible array), then the operation, back to back.
    uint8_t request[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op))];
    memset(request, 0, sizeof request);
    struct nlmsghdr *header = (struct nlmsghdr *)(void *)request;
    header->nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(enum proc_cn_mcast_op));
    header->nlmsg_type = NLMSG_DONE;
    struct cn_msg *message = (struct cn_msg *)NLMSG_DATA(header);
    message->id.idx = CN_IDX_PROC;
    message->id.val = CN_VAL_PROC;
    message->len = sizeof(enum proc_cn_mcast_op);
    enum proc_cn_mcast_op op = PROC_CN_MCAST_LISTEN;
    memcpy(message->data, &op, sizeof op);
    if (send(fd, request, header->nlmsg_len, 0) < 0) { int e = errno; close(fd); errno = e; return -1; }

    return fd;
}


/// Decodes the netlink messages in `buffer` into `out`; returns how many were decoded.
int cchangerec_proc_events_decode(const uint8_t *buffer, size_t length, struct cchangerec_proc_event *out, int capacity) {
    int count = 0;
    const struct nlmsghdr *header = (const struct nlmsghdr *)(const void *)buffer;
    size_t remaining = length;
    for (; NLMSG_OK(header, remaining) && count < capacity; header = NLMSG_NEXT(header, remaining)) {
        if (header->nlmsg_type == NLMSG_ERROR || header->nlmsg_type == NLMSG_NOOP) continue;
        const struct cn_msg *message = (const struct cn_msg *)NLMSG_DATA(header);
        if (message->id.idx != CN_IDX_PROC || message->id.val != CN_VAL_PROC) continue;
        const struct proc_event *event = (const struct proc_event *)(const void *)message->data;
        struct cchangerec_proc_event *item = &out[count];
        memset(item, 0, sizeof *item);
        item->what = event->what;
        switch (event->what) {
        case PROC_EVENT_FORK:
            item->pid = event->event_data.fork.child_tgid;
            item->parent = event->event_data.fork.parent_tgid;
            if (event->event_data.fork.child_pid != event->event_data.fork.child_tgid) continue; // a thread
            break;
        case PROC_EVENT_EXEC:
            item->pid = event->event_data.exec.process_tgid;
            break;
        case PROC_EVENT_COMM:
            item->pid = event->event_data.comm.process_tgid;
            memcpy(item->comm, event->event_data.comm.comm, sizeof item->comm);
            item->comm[15] = 0;
            break;
        case PROC_EVENT_EXIT:
            item->pid = event->event_data.exit.process_tgid;
            break;
        default:
            continue;
        }
        count++;
    }
    return count;
}


#include <zlib.h>

struct cchangerec_deflater {
    z_stream z;
};

cchangerec_deflater *cchangerec_deflater_open(int level) {
    cchangerec_deflater *deflater = calloc(1, sizeof *deflater);
    if (deflater == NULL) return NULL;
    if (deflateInit2(&deflater->z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(deflater);
        return NULL;
    }
    return deflater;
}

size_t cchangerec_deflate_bound(cchangerec_deflater *deflater, size_t length) {
    // deflateBound covers a finished stream; a sync flush adds an empty stored block (at most 6 bytes).
    return deflateBound(&deflater->z, (uLong)length) + 16;
}

long cchangerec_deflate_block(cchangerec_deflater *deflater, const uint8_t *dictionary, size_t dictionary_length,
                              const uint8_t *input, size_t length, uint8_t *output, size_t capacity, int last) {
    if (length > UINT32_MAX || capacity > UINT32_MAX || dictionary_length > 32768) return -1;
    z_stream *z = &deflater->z;
    if (deflateReset(z) != Z_OK) return -1;
    if (dictionary_length > 0 && deflateSetDictionary(z, dictionary, (uInt)dictionary_length) != Z_OK) return -1;
    z->next_in = (Bytef *)input;
    z->avail_in = (uInt)length;
    z->next_out = output;
    z->avail_out = (uInt)capacity;
    int rc = deflate(z, last ? Z_FINISH : Z_SYNC_FLUSH);
    if (rc == Z_STREAM_ERROR) return -1;
    // All input taken and, for the last block, the stream ended; otherwise the output was too small.
    if (z->avail_in != 0 || (last ? rc != Z_STREAM_END : z->avail_out == 0)) return -2;
    return (long)(capacity - z->avail_out);
}

void cchangerec_deflater_close(cchangerec_deflater *deflater) {
    if (deflater == NULL) return;
    deflateEnd(&deflater->z);
    free(deflater);
}

uint32_t cchangerec_crc32(uint32_t crc, const uint8_t *bytes, size_t length) {
    while (length > 0) {
        uInt part = length > UINT32_MAX ? UINT32_MAX : (uInt)length;
        crc = (uint32_t)crc32(crc, bytes, part);
        bytes += part;
        length -= part;
    }
    return crc;
}

uint32_t cchangerec_crc32_combine(uint32_t first, uint32_t second, uint64_t second_length) {
    return (uint32_t)crc32_combine(first, second, (z_off_t)second_length);
}

#include <dlfcn.h>
#include <sys/auxv.h>
#include <sched.h>

// The part of zstd.h (stable since libzstd 1.4.0) that changerec uses; the values are the ABI.
typedef struct { const void *src; size_t size; size_t pos; } cchangerec_zstd_in;
typedef struct { void *dst; size_t size; size_t pos; } cchangerec_zstd_out;
enum {
    CCHANGEREC_ZSTD_C_LEVEL = 100,
    CCHANGEREC_ZSTD_C_CONTENT_SIZE_FLAG = 200,
    CCHANGEREC_ZSTD_C_CHECKSUM_FLAG = 201,
    CCHANGEREC_ZSTD_C_DICT_ID_FLAG = 202,
    CCHANGEREC_ZSTD_C_NB_WORKERS = 400,
    CCHANGEREC_ZSTD_E_CONTINUE = 0,
    CCHANGEREC_ZSTD_E_END = 2,
};

static struct {
    unsigned (*versionNumber)(void);
    void *(*createCCtx)(void);
    size_t (*freeCCtx)(void *);
    size_t (*setParameter)(void *, int, int);
    size_t (*compressStream2)(void *, cchangerec_zstd_out *, cchangerec_zstd_in *, int);
    unsigned (*isError)(size_t);
    const char *(*getErrorName)(size_t);
    void *(*createDCtx)(void);
    size_t (*freeDCtx)(void *);
    size_t (*decompressStream)(void *, cchangerec_zstd_out *, cchangerec_zstd_in *);
} cchangerec_zstd_api;

int cchangerec_zstd_load(const char *library, char *reason, size_t capacity) {
    // A statically linked executable has no dynamic loader (AT_BASE is 0): glibc's dlopen there loads a
    // second libc beside the built-in one, and libzstd then crashes the process. Refuse instead.
    if (getauxval(AT_BASE) == 0) {
        snprintf(reason, capacity, "a static executable cannot load %s at run time", library);
        return -2;
    }
    void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *error = dlerror();
        snprintf(reason, capacity, "%s", error != NULL ? error : "dlopen failed");
        return -1;
    }
    static const char *const names[] = {"ZSTD_versionNumber", "ZSTD_createCCtx", "ZSTD_freeCCtx",
                                        "ZSTD_CCtx_setParameter", "ZSTD_compressStream2", "ZSTD_isError",
                                        "ZSTD_getErrorName", "ZSTD_createDCtx", "ZSTD_freeDCtx",
                                        "ZSTD_decompressStream"};
    void *symbols[10];
    for (int i = 0; i < 10; i++) {
        symbols[i] = dlsym(handle, names[i]);
        if (symbols[i] == NULL) {
            snprintf(reason, capacity, "%s has no %s (libzstd 1.4.0 or later is needed)", library, names[i]);
            dlclose(handle);
            return -1;
        }
    }
    // The first library loaded stays for the life of the process (its functions are kept below); a later
    // successful call only checks its library. Function pointers from dlsym are converted as POSIX allows.
    if (cchangerec_zstd_api.compressStream2 != NULL) return 0;
    cchangerec_zstd_api.versionNumber = (unsigned (*)(void))symbols[0];
    cchangerec_zstd_api.createCCtx = (void *(*)(void))symbols[1];
    cchangerec_zstd_api.freeCCtx = (size_t (*)(void *))symbols[2];
    cchangerec_zstd_api.setParameter = (size_t (*)(void *, int, int))symbols[3];
    cchangerec_zstd_api.isError = (unsigned (*)(size_t))symbols[5];
    cchangerec_zstd_api.getErrorName = (const char *(*)(size_t))symbols[6];
    cchangerec_zstd_api.createDCtx = (void *(*)(void))symbols[7];
    cchangerec_zstd_api.freeDCtx = (size_t (*)(void *))symbols[8];
    cchangerec_zstd_api.decompressStream =
        (size_t (*)(void *, cchangerec_zstd_out *, cchangerec_zstd_in *))symbols[9];
    cchangerec_zstd_api.compressStream2 =
        (size_t (*)(void *, cchangerec_zstd_out *, cchangerec_zstd_in *, int))symbols[4];
    return 0;
}

unsigned cchangerec_zstd_version(void) {
    return cchangerec_zstd_api.versionNumber != NULL ? cchangerec_zstd_api.versionNumber() : 0;
}

struct cchangerec_zstd {
    void *context;
};

cchangerec_zstd *cchangerec_zstd_open(int level, int workers, const char **reason) {
    *reason = "libzstd is not loaded";
    if (cchangerec_zstd_api.compressStream2 == NULL) return NULL;
    cchangerec_zstd *stream = calloc(1, sizeof *stream);
    if (stream == NULL) { *reason = "out of memory"; return NULL; }
    stream->context = cchangerec_zstd_api.createCCtx();
    if (stream->context == NULL) { free(stream); *reason = "out of memory"; return NULL; }
    const int parameters[][2] = {
        {CCHANGEREC_ZSTD_C_LEVEL, level},           {CCHANGEREC_ZSTD_C_CONTENT_SIZE_FLAG, 0},
        {CCHANGEREC_ZSTD_C_CHECKSUM_FLAG, 1},       {CCHANGEREC_ZSTD_C_DICT_ID_FLAG, 0},
        {CCHANGEREC_ZSTD_C_NB_WORKERS, workers},
    };
    for (size_t i = 0; i < sizeof parameters / sizeof parameters[0]; i++) {
        size_t rc = cchangerec_zstd_api.setParameter(stream->context, parameters[i][0], parameters[i][1]);
        if (cchangerec_zstd_api.isError(rc)) {
            *reason = parameters[i][0] == CCHANGEREC_ZSTD_C_NB_WORKERS
                          ? "libzstd was built without multi-threading"
                          : cchangerec_zstd_api.getErrorName(rc);
            cchangerec_zstd_api.freeCCtx(stream->context);
            free(stream);
            return NULL;
        }
    }
    return stream;
}

int cchangerec_zstd_step(cchangerec_zstd *stream, const uint8_t *input, size_t length, uint8_t *output,
                         size_t capacity, size_t *consumed, size_t *produced, int end, const char **reason) {
    cchangerec_zstd_in in = {input, length, 0};
    cchangerec_zstd_out out = {output, capacity, 0};
    size_t rc = cchangerec_zstd_api.compressStream2(stream->context, &out, &in,
                                                    end ? CCHANGEREC_ZSTD_E_END : CCHANGEREC_ZSTD_E_CONTINUE);
    *consumed = in.pos;
    *produced = out.pos;
    if (cchangerec_zstd_api.isError(rc)) {
        *reason = cchangerec_zstd_api.getErrorName(rc);
        return -1;
    }
    return end && rc == 0 ? 1 : 0;
}

void cchangerec_zstd_close(cchangerec_zstd *stream) {
    if (stream == NULL) return;
    cchangerec_zstd_api.freeCCtx(stream->context);
    free(stream);
}

struct cchangerec_zstd_decoder {
    void *context;
};

cchangerec_zstd_decoder *cchangerec_zstd_decoder_open(void) {
    if (cchangerec_zstd_api.decompressStream == NULL) return NULL;
    cchangerec_zstd_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) return NULL;
    decoder->context = cchangerec_zstd_api.createDCtx();
    if (decoder->context == NULL) {
        free(decoder);
        return NULL;
    }
    return decoder;
}

int cchangerec_zstd_decoder_step(cchangerec_zstd_decoder *decoder, const uint8_t *input, size_t length,
                                 uint8_t *output, size_t capacity, size_t *consumed, size_t *produced,
                                 const char **reason) {
    cchangerec_zstd_in in = {input, length, 0};
    cchangerec_zstd_out out = {output, capacity, 0};
    size_t rc = cchangerec_zstd_api.decompressStream(decoder->context, &out, &in);
    *consumed = in.pos;
    *produced = out.pos;
    if (cchangerec_zstd_api.isError(rc)) {
        *reason = cchangerec_zstd_api.getErrorName(rc);
        return -1;
    }
    // 0: a frame is complete and fully flushed; the context starts the next frame by itself.
    return rc == 0 ? 1 : 0;
}

void cchangerec_zstd_decoder_close(cchangerec_zstd_decoder *decoder) {
    if (decoder == NULL) return;
    cchangerec_zstd_api.freeDCtx(decoder->context);
    free(decoder);
}

int cchangerec_available_processors(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int count = CPU_COUNT(&set);
        if (count > 0) return count;
    }
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}

static char cchangerec_partial_path[PATH_MAX];
static volatile sig_atomic_t cchangerec_partial_armed = 0;

static void cchangerec_partial_handler(int signal_number) {
    if (cchangerec_partial_armed) unlink(cchangerec_partial_path);
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

void cchangerec_remove_on_signal(const char *path) {
    size_t length = strlen(path);
    if (length >= sizeof cchangerec_partial_path) return;
    memcpy(cchangerec_partial_path, path, length + 1);
    cchangerec_partial_armed = 1;
    signal(SIGINT, cchangerec_partial_handler);
    signal(SIGTERM, cchangerec_partial_handler);
    signal(SIGHUP, cchangerec_partial_handler);
    // A parent may have started us with these blocked (some process libraries do): unblock them, or
    // the handler would never run.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
}

void cchangerec_remove_on_signal_clear(void) {
    cchangerec_partial_armed = 0;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}

static int cchangerec_argument_count = 0;
static char **cchangerec_argument_vector = NULL;

/// glibc calls every function in .init_array with (argc, argv, envp), in dynamic executables (ld.so's
/// _dl_init) and static ones (csu's call_init) alike; the kernel's argv then stays valid for the life
/// of the process. This keeps them, so changerec does not depend on /proc for its own arguments.
static void cchangerec_keep_arguments(int argc, char **argv, char **envp) {
    (void)envp;
    cchangerec_argument_count = argc;
    cchangerec_argument_vector = argv;
}

__attribute__((section(".init_array"), used))
static void (*const cchangerec_keep_arguments_entry)(int, char **, char **) = cchangerec_keep_arguments;

char **cchangerec_arguments(int *count) {
    *count = cchangerec_argument_count;
    return cchangerec_argument_vector;
}
