// SPDX-License-Identifier: Apache-2.0
//
// libpowercut: an LD_PRELOAD "file layer that can cut power after any write", for crash-consistency tests of
// one process (the updater under test, a multithreaded dotnet process).
//
// What it models, and why:
// - Only paths under $POWERCUT_ROOT are touched; every other call (stdout, pipes, sockets, files elsewhere)
//   goes straight to libc, so the test harness keeps working after the "power cut". Without POWERCUT_ROOT
//   the library does nothing at all (each wrapper is a plain call of the real function).
// - Every "mutating call" under ROOT is counted. powercut_arm(budget, ...) makes the budget-th one fail with
//   EIO without being performed: that is the moment the power goes. From then on every mutating call, and
//   every open for writing, under ROOT fails with EIO, while reads keep working (the test inspects the state).
// - With lose_unsynced, an undo log models the worst case "nothing that was not fsync'ed reaches the disk":
//   before each data write we save the bytes it is about to overwrite and the file's size; a successful
//   fsync/fdatasync of the file (or sync/syncfs) drops the file's entries because its data is durable now;
//   powercut_reboot() puts the saved bytes and sizes back in reverse order.
// - powercut_watch(fn) calls fn(k) before the k-th mutating call runs, with the lock held: the files are then what a
//   cut at k leaves, and the undo log (powercut_undo_count/powercut_undo_entry) what a cut at k that loses
//   unsynced data would put back. One watched run of an operation gives the disk of every cut of it; the
//   explorer checks a sample against operations really cut at that call.
// - Namespace operations (rename, unlink, mkdir, link, symlink, creating a file) are treated as durable the
//   moment they return. On a real filesystem a rename is only durable once its directory is fsync'ed; this
//   layer does not model losing it (nor losing a created file), only losing unsynced file data.
// - Paths are compared lexically (made absolute and normalised, symlinks not resolved) against ROOT, both as
//   given and as realpath(ROOT). fd-based calls use readlink(/proc/self/fd/N), which is the real path.
// - Not modelled: writes through mmap (msync), metadata changes (chmod, utimes, xattrs), ioctl (FICLONE),
//   and calls that do not go through the PLT (libc-internal calls such as fopen's open, raw syscall(2), and
//   symbols looked up with dlsym on a libc handle, which is what .NET does for DllImport("libc")).
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define API __attribute__((visibility("default")))

// Paths longer than this are treated as outside ROOT (far beyond anything the tests create).
#define PC_PATH_MAX (PATH_MAX * 2)
// The undo log is a test tool's memory; an operation that needs more is a test bug, so we abort loudly.
#define PC_LOG_CAP ((size_t)256 << 20)

// ---- real functions -------------------------------------------------------------------------------------

// Each real function is resolved once with dlsym(RTLD_NEXT) and cached. A racing first call may resolve it
// twice; both get the same pointer, so a relaxed atomic store is enough and no lock is needed (dlsym must not
// run under our mutex: it could in theory call back into a wrapper).
#define REAL(name) ((__typeof__(&name))real_sym(&real_##name, #name))
#define DECL_REAL(name) static void *real_##name

static void *real_sym(void **slot, const char *name)
{
    void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (p == NULL) {
        p = dlsym(RTLD_NEXT, name);
        if (p == NULL) {
            // Without the real function we cannot pass the call on; failing loudly beats a silent ENOSYS.
            fprintf(stderr, "libpowercut: dlsym(RTLD_NEXT, %s) failed: %s\n", name, dlerror());
            abort();
        }
        __atomic_store_n(slot, p, __ATOMIC_RELEASE);
    }
    return p;
}

DECL_REAL(open); DECL_REAL(open64); DECL_REAL(openat); DECL_REAL(openat64);
DECL_REAL(creat); DECL_REAL(creat64);
DECL_REAL(__open_2); DECL_REAL(__open64_2); DECL_REAL(__openat_2); DECL_REAL(__openat64_2);
DECL_REAL(write); DECL_REAL(pwrite); DECL_REAL(pwrite64); DECL_REAL(writev);
DECL_REAL(pwritev); DECL_REAL(pwritev64); DECL_REAL(pwritev2); DECL_REAL(pwritev64v2);
DECL_REAL(fsync); DECL_REAL(fdatasync); DECL_REAL(sync_file_range); DECL_REAL(sync); DECL_REAL(syncfs);
DECL_REAL(rename); DECL_REAL(renameat); DECL_REAL(renameat2);
DECL_REAL(unlink); DECL_REAL(unlinkat); DECL_REAL(rmdir); DECL_REAL(mkdir); DECL_REAL(mkdirat);
DECL_REAL(link); DECL_REAL(linkat); DECL_REAL(symlink); DECL_REAL(symlinkat);
DECL_REAL(ftruncate); DECL_REAL(ftruncate64); DECL_REAL(truncate); DECL_REAL(truncate64);
DECL_REAL(fallocate); DECL_REAL(fallocate64); DECL_REAL(posix_fallocate); DECL_REAL(posix_fallocate64);
DECL_REAL(copy_file_range); DECL_REAL(sendfile); DECL_REAL(sendfile64);
// Used internally only (never wrapped): pread/pwrite for the undo log go to the real functions.
DECL_REAL(pread);

// ---- ROOT ---------------------------------------------------------------------------------------------------

// Two spellings of ROOT: as given (lexically normalised) and realpath'ed. Paths given by the program may use
// either (e.g. /tmp/x vs a symlinked /tmp), readlink of /proc/self/fd always gives the real one. The strings
// are published once through atomic pointers and never freed, so readers need no lock.
static const char *g_root_raw;
static const char *g_root_real;
static pthread_once_t g_root_once = PTHREAD_ONCE_INIT;

// Lexical normalisation of an absolute path in place: collapses "//", drops ".", resolves ".." against the
// preceding component. Without it "ROOT/../elsewhere" would look like it is under ROOT.
static void normalise(char *p)
{
    char *out = p;
    const char *in = p;
    while (*in != '\0') {
        while (*in == '/') {
            in++;
        }
        if (*in == '\0') {
            break;
        }
        const char *seg = in;
        while (*in != '\0' && *in != '/') {
            in++;
        }
        size_t n = (size_t)(in - seg);
        if (n == 1 && seg[0] == '.') {
            continue;
        }
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            while (out > p && *(out - 1) != '/') {
                out--;
            }
            if (out > p) {
                out--;
            }
            continue;
        }
        *out++ = '/';
        memmove(out, seg, n);
        out += n;
    }
    if (out == p) {
        *out++ = '/';
    }
    *out = '\0';
}

static void try_realpath_root(void)
{
    const char *raw = __atomic_load_n(&g_root_raw, __ATOMIC_ACQUIRE);
    if (raw == NULL || __atomic_load_n(&g_root_real, __ATOMIC_ACQUIRE) != NULL) {
        return;
    }
    // glibc's realpath uses its internal readlink/lstat, never our wrappers.
    char *rp = realpath(raw, NULL);
    if (rp != NULL) {
        normalise(rp);
        const char *expected = NULL;
        if (!__atomic_compare_exchange_n(&g_root_real, &expected, rp, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            free(rp);
        }
    }
}

static void root_init(void)
{
    int saved = errno;
    const char *env = getenv("POWERCUT_ROOT");
    if (env != NULL && env[0] == '/' && strlen(env) < PC_PATH_MAX) {
        char *raw = strdup(env);
        if (raw != NULL) {
            normalise(raw);
            __atomic_store_n(&g_root_raw, raw, __ATOMIC_RELEASE);
            // The directory may not exist yet this early in the process; powercut_arm() retries.
            try_realpath_root();
        }
    } else if (env != NULL && env[0] != '\0') {
        fprintf(stderr, "libpowercut: POWERCUT_ROOT must be an absolute path, ignoring '%s'\n", env);
    }
    errno = saved;
}

// True when the library is active at all. Cheap after the first call.
static int enabled(void)
{
    pthread_once(&g_root_once, root_init);
    return __atomic_load_n(&g_root_raw, __ATOMIC_ACQUIRE) != NULL;
}

static int prefix_match(const char *root, const char *abs)
{
    if (root == NULL) {
        return 0;
    }
    size_t n = strlen(root);
    if (n == 1) {
        return abs[0] == '/'; // ROOT is "/": everything absolute is under it
    }
    return strncmp(abs, root, n) == 0 && (abs[n] == '\0' || abs[n] == '/');
}

static int under_root(const char *abs)
{
    return prefix_match(__atomic_load_n(&g_root_raw, __ATOMIC_ACQUIRE), abs)
        || prefix_match(__atomic_load_n(&g_root_real, __ATOMIC_ACQUIRE), abs);
}

// ---- path of a call ---------------------------------------------------------------------------------------

// Path of an open descriptor, or -1 for a bad fd / overlong path. Pipes and sockets give "pipe:[..]" etc.,
// which never match ROOT.
static int fd_path(int fd, char *buf, size_t size)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(proc, buf, size - 1);
    if (n < 0 || (size_t)n >= size - 1) {
        return -1;
    }
    buf[n] = '\0';
    return 0;
}

// Makes `path` (relative to dirfd, or AT_FDCWD) absolute and normalised into buf. An empty path (the
// AT_EMPTY_PATH case of linkat) names dirfd itself.
static int abs_path(int dirfd, const char *path, char *buf, size_t size)
{
    if (path == NULL) {
        return -1;
    }
    if (path[0] == '/') {
        if (strlen(path) >= size) {
            return -1;
        }
        strcpy(buf, path);
    } else {
        if (dirfd == AT_FDCWD) {
            if (getcwd(buf, size) == NULL) {
                return -1;
            }
        } else if (fd_path(dirfd, buf, size) != 0) {
            return -1;
        }
        size_t n = strlen(buf);
        if (n + 1 + strlen(path) >= size) {
            return -1;
        }
        buf[n] = '/';
        strcpy(buf + n + 1, path);
    }
    normalise(buf);
    return 0;
}

static int path_under_root(int dirfd, const char *path)
{
    char buf[PC_PATH_MAX];
    return abs_path(dirfd, path, buf, sizeof buf) == 0 && under_root(buf);
}

static int fd_under_root(int fd, char *buf, size_t size)
{
    return fd_path(fd, buf, size) == 0 && under_root(buf);
}

// ---- state --------------------------------------------------------------------------------------------------

// One undo-log entry: what a single data write is about to destroy.
struct undo {
    dev_t dev;
    ino_t ino;
    int is_reg;           // regular file (size restored) or block device (bytes only)
    char *path;           // path at the time of the write, reopened on reboot
    off_t old_size;       // regular files: size before the write
    off_t off;            // start of the saved region
    size_t len;           // bytes saved (the part of the written region inside the old size)
    unsigned char *bytes;
    unsigned long seq;    // global order, so an fsync only drops entries older than itself
    struct undo *prev;    // newest first: reboot walks this list, which is reverse order
};

// One mutex for the counter, the trip decision and the log. It is never held across a real I/O call of the
// program (only across our own small reads of old bytes and the reboot restore), so a blocking write
// elsewhere cannot stall the control functions, and nothing under it calls back into a wrapper.
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static long g_budget;
static long g_count;
static int g_tripped;
static int g_lose;
static struct undo *g_log;
static size_t g_log_bytes;
static unsigned long g_seq;
// The watch: called at every mutating call under ROOT before it runs, i.e. with the disk exactly as a cut at that
// call would leave it. One uncut run with a watch yields every cut state of the operation (see powercut_watch).
static void (*g_watch)(long call);
static __thread int t_in_watch;

static void log_clear_locked(void)
{
    while (g_log != NULL) {
        struct undo *u = g_log;
        g_log = u->prev;
        free(u->path);
        free(u->bytes);
        free(u);
    }
    g_log_bytes = 0;
}

// Drops entries made durable: those of (dev, ino) (or of the whole device when ino_all) older than `before`.
static void log_drop_locked(dev_t dev, ino_t ino, int ino_all, unsigned long before)
{
    struct undo *newer = NULL; // the entry whose prev link points at u (NULL: u is the head)
    struct undo *u = g_log;
    while (u != NULL) {
        struct undo *older = u->prev;
        if (u->seq < before && u->dev == dev && (ino_all || u->ino == ino)) {
            if (newer == NULL) {
                g_log = older;
            } else {
                newer->prev = older;
            }
            g_log_bytes -= u->len;
            free(u->path);
            free(u->bytes);
            free(u);
        } else {
            newer = u;
        }
        u = older;
    }
}

// The gate of every mutating call under ROOT: counts it and says whether it may run. Must hold g_lock.
static int gate_locked(void)
{
    g_count++;
    if (g_watch != NULL && !g_tripped) {
        // Under g_lock: the program's other threads wait at their own gates while the watch looks at the disk.
        if (t_in_watch) {
            fprintf(stderr, "libpowercut: the watch made a mutating call under ROOT; it may only read\n");
            abort();
        }
        t_in_watch = 1;
        g_watch(g_count);
        t_in_watch = 0;
    }
    if (g_tripped || (g_budget > 0 && g_count >= g_budget)) {
        g_tripped = 1;
        return 0;
    }
    return 1;
}

// Saves what a write of [off, off+len) to the file open as `fd` (or, with fd < 0, at `path`) is about to
// overwrite; `len` < 0 means "to the end of the old file" (fallocate collapse/insert shift everything after
// off). Must hold g_lock, so that the saved bytes and the entry's place in the log agree. Reads through a
// separate O_RDONLY descriptor: the program's fd may be O_DIRECT (unaligned reads fail) or write-only.
static void record_locked(int fd, const char *path, off_t off, off_t len)
{
    struct stat st;
    int rfd;
    char proc[64];
    if (fd >= 0) {
        if (fstat(fd, &st) != 0) {
            return;
        }
    } else if (stat(path, &st) != 0) {
        return; // nothing there yet (e.g. O_TRUNC of a file that does not exist): nothing to lose
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        return;
    }
    int is_reg = S_ISREG(st.st_mode);
    if (fd >= 0) {
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        rfd = REAL(open)(proc, O_RDONLY | O_CLOEXEC);
        if (rfd < 0) {
            rfd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
        }
    } else {
        rfd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
    }
    off_t old_size = st.st_size;
    if (!is_reg) {
        uint64_t sz = 0;
        if (rfd >= 0 && ioctl(rfd, BLKGETSIZE64, &sz) == 0) {
            old_size = (off_t)sz;
        }
    }
    off_t end = (len < 0 || off > INT64_MAX - len) ? old_size : off + len;
    if (end > old_size) {
        end = old_size;
    }
    size_t want = (off < end) ? (size_t)(end - off) : 0;
    if (rfd < 0 && (want > 0 || !is_reg)) {
        // Without the old bytes the reboot would be a lie; this is a test tool, so stop here.
        fprintf(stderr, "libpowercut: cannot reopen %s to save old bytes: %s\n", path, strerror(errno));
        abort();
    }
    if (g_log_bytes + want > PC_LOG_CAP) {
        fprintf(stderr, "libpowercut: undo log over %zu bytes (unsynced data); raise PC_LOG_CAP or fsync more\n",
            PC_LOG_CAP);
        abort();
    }
    struct undo *u = calloc(1, sizeof *u);
    unsigned char *bytes = want > 0 ? malloc(want) : NULL;
    char *p = strdup(path);
    if (u == NULL || p == NULL || (want > 0 && bytes == NULL)) {
        fprintf(stderr, "libpowercut: out of memory for the undo log\n");
        abort();
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = REAL(pread)(rfd, bytes + got, want - got, off + (off_t)got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; // short device or concurrent shrink: keep what exists
        }
        got += (size_t)n;
    }
    if (rfd >= 0) {
        close(rfd);
    }
    u->dev = st.st_dev;
    u->ino = st.st_ino;
    u->is_reg = is_reg;
    u->path = p;
    u->old_size = old_size;
    u->off = off;
    u->len = got;
    u->bytes = bytes;
    u->seq = g_seq++;
    u->prev = g_log;
    g_log = u;
    g_log_bytes += got;
}

// Offset a write() on fd goes to: the current position, or the end for O_APPEND (Linux also appends for
// pwrite on an O_APPEND fd, so pwrite uses this too when `explicit_off` is given and the fd appends).
static off_t write_offset(int fd, off_t explicit_off, int have_explicit)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_APPEND)) {
        struct stat st;
        return fstat(fd, &st) == 0 ? st.st_size : 0;
    }
    if (have_explicit) {
        return explicit_off;
    }
    off_t cur = lseek(fd, 0, SEEK_CUR);
    return cur < 0 ? 0 : cur;
}

// An O_SYNC/O_DSYNC descriptor makes each write durable when it returns. We model that as an fdatasync of
// the file after the write (less pessimistic than the kernel for other unsynced ranges of the same file).
static int fd_is_sync(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl >= 0 && (fl & (O_SYNC | O_DSYNC)) != 0;
}

// ---- common wrapper bodies -------------------------------------------------------------------------------

enum { NO_DATA = 0, DATA = 1 };

// Before a data write through fd of [off, off+len) (len < 0: to the end). Returns 1 when the call may go on;
// 0 means "power is cut", errno is EIO. *seq_out gets the log position for the post-write O_SYNC handling.
static int before_fd_write(int fd, const char *path, int data, off_t off, off_t len, unsigned long *seq_out)
{
    pthread_mutex_lock(&g_lock);
    int ok = gate_locked();
    if (ok && data && g_lose) {
        record_locked(fd, path, off, len);
    }
    if (seq_out != NULL) {
        *seq_out = g_seq;
    }
    pthread_mutex_unlock(&g_lock);
    return ok;
}

static void after_durable(int fd, unsigned long before)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return;
    }
    dev_t dev = st.st_dev; // copies: gcc 12 -Wdangling-pointer misfires on &st across the lock
    ino_t ino = st.st_ino;
    pthread_mutex_lock(&g_lock);
    if (!g_tripped) {
        log_drop_locked(dev, ino, 0, before);
    }
    pthread_mutex_unlock(&g_lock);
}

// Counts a namespace (or otherwise data-less) call; 1 when it may run.
static int gate_only(void)
{
    pthread_mutex_lock(&g_lock);
    int ok = gate_locked();
    pthread_mutex_unlock(&g_lock);
    return ok;
}

#define CUT_RETURN(v) \
    do { \
        errno = EIO; \
        return (v); \
    } while (0)

// Data write through a descriptor. `off` < 0 with have_off == 0 means "current position".
#define FD_WRITE(call, fd, have_off, off, len) \
    do { \
        int saved_ = errno; \
        char path_[PC_PATH_MAX]; \
        if (!enabled() || !fd_under_root((fd), path_, sizeof path_)) { \
            errno = saved_; \
            return call; \
        } \
        off_t at_ = write_offset((fd), (off), (have_off)); \
        unsigned long seq_; \
        if (!before_fd_write((fd), path_, DATA, at_, (off_t)(len), &seq_)) { \
            CUT_RETURN(-1); \
        } \
        int sync_ = fd_is_sync(fd); \
        errno = saved_; \
        __typeof__(call) r_ = call; \
        if (r_ >= 0 && sync_) { \
            int e_ = errno; \
            after_durable((fd), seq_); \
            errno = e_; \
        } \
        return r_; \
    } while (0)

static size_t iov_total(const struct iovec *iov, int cnt)
{
    size_t t = 0;
    for (int i = 0; i < cnt && iov != NULL; i++) {
        t += iov[i].iov_len;
    }
    return t;
}

// ---- data writes ---------------------------------------------------------------------------------------------

API ssize_t write(int fd, const void *buf, size_t n)
{
    FD_WRITE(REAL(write)(fd, buf, n), fd, 0, 0, n);
}

API ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    FD_WRITE(REAL(pwrite)(fd, buf, n, off), fd, 1, off, n);
}

API ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
    FD_WRITE(REAL(pwrite64)(fd, buf, n, off), fd, 1, off, n);
}

API ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    FD_WRITE(REAL(writev)(fd, iov, cnt), fd, 0, 0, iov_total(iov, cnt));
}

API ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    FD_WRITE(REAL(pwritev)(fd, iov, cnt, off), fd, 1, off, iov_total(iov, cnt));
}

API ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off)
{
    FD_WRITE(REAL(pwritev64)(fd, iov, cnt, off), fd, 1, off, iov_total(iov, cnt));
}

// pwritev2: offset -1 means the current position; RWF_APPEND appends (write_offset sees only O_APPEND, so
// RWF_APPEND is handled by passing the size explicitly).
static off_t pwritev2_offset(int fd, off_t off, int flags)
{
#ifdef RWF_APPEND
    if (flags & RWF_APPEND) {
        struct stat st;
        return fstat(fd, &st) == 0 ? st.st_size : 0;
    }
#else
    (void)flags;
#endif
    if (off == -1) {
        off_t cur = lseek(fd, 0, SEEK_CUR);
        return cur < 0 ? 0 : cur;
    }
    return off;
}

API ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
    FD_WRITE(REAL(pwritev2)(fd, iov, cnt, off, flags), fd, 1, pwritev2_offset(fd, off, flags), iov_total(iov, cnt));
}

API ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt, off64_t off, int flags)
{
    FD_WRITE(REAL(pwritev64v2)(fd, iov, cnt, off, flags), fd, 1, pwritev2_offset(fd, off, flags),
        iov_total(iov, cnt));
}

// ftruncate: what is lost is [len, old size) when shrinking; growing loses nothing but the size.
#define FD_TRUNCATE(call, fd, len) \
    do { \
        int saved_ = errno; \
        char path_[PC_PATH_MAX]; \
        if (!enabled() || !fd_under_root((fd), path_, sizeof path_)) { \
            errno = saved_; \
            return call; \
        } \
        if (!before_fd_write((fd), path_, DATA, (off_t)(len), -1, NULL)) { \
            CUT_RETURN(-1); \
        } \
        errno = saved_; \
        return call; \
    } while (0)

API int ftruncate(int fd, off_t len)
{
    FD_TRUNCATE(REAL(ftruncate)(fd, len), fd, len);
}

API int ftruncate64(int fd, off64_t len)
{
    FD_TRUNCATE(REAL(ftruncate64)(fd, len), fd, len);
}

#define PATH_TRUNCATE(call, path, len) \
    do { \
        int saved_ = errno; \
        char abs_[PC_PATH_MAX]; \
        if (!enabled() || abs_path(AT_FDCWD, (path), abs_, sizeof abs_) != 0 || !under_root(abs_)) { \
            errno = saved_; \
            return call; \
        } \
        if (!before_fd_write(-1, abs_, DATA, (off_t)(len), -1, NULL)) { \
            CUT_RETURN(-1); \
        } \
        errno = saved_; \
        return call; \
    } while (0)

API int truncate(const char *path, off_t len)
{
    PATH_TRUNCATE(REAL(truncate)(path, len), path, len);
}

API int truncate64(const char *path, off64_t len)
{
    PATH_TRUNCATE(REAL(truncate64)(path, len), path, len);
}

// fallocate: plain allocation or zeroing touches [off, off+len); collapse/insert shift the rest of the file.
static off_t falloc_len(int mode, off_t len)
{
    (void)mode;
#if defined(FALLOC_FL_COLLAPSE_RANGE) && defined(FALLOC_FL_INSERT_RANGE)
    if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE)) {
        return -1;
    }
#endif
    return len;
}

#define FD_FALLOC(call, fd, mode, off, len, cutval) \
    do { \
        int saved_ = errno; \
        char path_[PC_PATH_MAX]; \
        if (!enabled() || !fd_under_root((fd), path_, sizeof path_)) { \
            errno = saved_; \
            return call; \
        } \
        if (!before_fd_write((fd), path_, DATA, (off), falloc_len((mode), (len)), NULL)) { \
            CUT_RETURN(cutval); \
        } \
        errno = saved_; \
        return call; \
    } while (0)

API int fallocate(int fd, int mode, off_t off, off_t len)
{
    FD_FALLOC(REAL(fallocate)(fd, mode, off, len), fd, mode, off, len, -1);
}

API int fallocate64(int fd, int mode, off64_t off, off64_t len)
{
    FD_FALLOC(REAL(fallocate64)(fd, mode, off, len), fd, mode, off, len, -1);
}

// posix_fallocate returns the error number instead of setting errno, so the cut returns EIO itself.
API int posix_fallocate(int fd, off_t off, off_t len)
{
    FD_FALLOC(REAL(posix_fallocate)(fd, off, len), fd, 0, off, len, EIO);
}

API int posix_fallocate64(int fd, off64_t off, off64_t len)
{
    FD_FALLOC(REAL(posix_fallocate64)(fd, off, len), fd, 0, off, len, EIO);
}

API ssize_t copy_file_range(int fd_in, off64_t *off_in, int fd_out, off64_t *off_out, size_t len, unsigned int flags)
{
    FD_WRITE(REAL(copy_file_range)(fd_in, off_in, fd_out, off_out, len, flags), fd_out, off_out != NULL,
        off_out != NULL ? *off_out : 0, len);
}

// sendfile is not in the original list but writes to out_fd like copy_file_range (older .NET File.Copy
// paths use it), so it is a data write by its output fd too.
API ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count)
{
    FD_WRITE(REAL(sendfile)(out_fd, in_fd, offset, count), out_fd, 0, 0, count);
}

API ssize_t sendfile64(int out_fd, int in_fd, off64_t *offset, size_t count)
{
    FD_WRITE(REAL(sendfile64)(out_fd, in_fd, offset, count), out_fd, 0, 0, count);
}

// ---- flushes ---------------------------------------------------------------------------------------------

#define FD_FLUSH(call, fd, durable) \
    do { \
        int saved_ = errno; \
        char path_[PC_PATH_MAX]; \
        if (!enabled() || !fd_under_root((fd), path_, sizeof path_)) { \
            errno = saved_; \
            return call; \
        } \
        unsigned long seq_; \
        if (!before_fd_write((fd), path_, NO_DATA, 0, 0, &seq_)) { \
            CUT_RETURN(-1); \
        } \
        errno = saved_; \
        int r_ = call; \
        if (r_ == 0 && (durable)) { \
            int e_ = errno; \
            after_durable((fd), seq_); \
            errno = e_; \
        } \
        return r_; \
    } while (0)

API int fsync(int fd)
{
    FD_FLUSH(REAL(fsync)(fd), fd, 1);
}

API int fdatasync(int fd)
{
    FD_FLUSH(REAL(fdatasync)(fd), fd, 1);
}

// sync_file_range does not flush the disk cache nor metadata: counted, but it makes nothing durable.
API int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags)
{
    FD_FLUSH(REAL(sync_file_range)(fd, off, n, flags), fd, 0);
}

// sync/syncfs are not mutating calls (not counted) but make data durable, unless the power is already off.
API void sync(void)
{
    int saved = errno;
    REAL(sync)();
    if (enabled()) {
        pthread_mutex_lock(&g_lock);
        if (!g_tripped) {
            log_clear_locked();
        }
        pthread_mutex_unlock(&g_lock);
    }
    errno = saved;
}

// syncfs drops the entries of the filesystem the fd is on (everything, when the tests use one filesystem).
API int syncfs(int fd)
{
    int r = REAL(syncfs)(fd);
    int saved = errno;
    struct stat st;
    if (r == 0 && enabled() && fstat(fd, &st) == 0) {
        pthread_mutex_lock(&g_lock);
        if (!g_tripped) {
            log_drop_locked(st.st_dev, 0, 1, (unsigned long)-1);
        }
        pthread_mutex_unlock(&g_lock);
    }
    errno = saved;
    return r;
}

// ---- namespace operations (durable at once, see the top) ------------------------------------------------

#define NS_OP(call, under) \
    do { \
        int saved_ = errno; \
        if (!enabled() || !(under)) { \
            errno = saved_; \
            return call; \
        } \
        if (!gate_only()) { \
            CUT_RETURN(-1); \
        } \
        errno = saved_; \
        return call; \
    } while (0)

API int rename(const char *a, const char *b)
{
    NS_OP(REAL(rename)(a, b), path_under_root(AT_FDCWD, a) || path_under_root(AT_FDCWD, b));
}

API int renameat(int da, const char *a, int db, const char *b)
{
    NS_OP(REAL(renameat)(da, a, db, b), path_under_root(da, a) || path_under_root(db, b));
}

API int renameat2(int da, const char *a, int db, const char *b, unsigned int flags)
{
    NS_OP(REAL(renameat2)(da, a, db, b, flags), path_under_root(da, a) || path_under_root(db, b));
}

API int unlink(const char *p)
{
    NS_OP(REAL(unlink)(p), path_under_root(AT_FDCWD, p));
}

API int unlinkat(int d, const char *p, int flags)
{
    NS_OP(REAL(unlinkat)(d, p, flags), path_under_root(d, p));
}

API int rmdir(const char *p)
{
    NS_OP(REAL(rmdir)(p), path_under_root(AT_FDCWD, p));
}

API int mkdir(const char *p, mode_t m)
{
    NS_OP(REAL(mkdir)(p, m), path_under_root(AT_FDCWD, p));
}

API int mkdirat(int d, const char *p, mode_t m)
{
    NS_OP(REAL(mkdirat)(d, p, m), path_under_root(d, p));
}

API int link(const char *a, const char *b)
{
    NS_OP(REAL(link)(a, b), path_under_root(AT_FDCWD, a) || path_under_root(AT_FDCWD, b));
}

API int linkat(int da, const char *a, int db, const char *b, int flags)
{
    NS_OP(REAL(linkat)(da, a, db, b, flags), path_under_root(da, a) || path_under_root(db, b));
}

// symlink's target is only a string stored in the link; what is created is linkpath.
API int symlink(const char *target, const char *linkpath)
{
    NS_OP(REAL(symlink)(target, linkpath), path_under_root(AT_FDCWD, linkpath));
}

API int symlinkat(const char *target, int d, const char *linkpath)
{
    NS_OP(REAL(symlinkat)(target, d, linkpath), path_under_root(d, linkpath));
}

// ---- opens ------------------------------------------------------------------------------------------------

// O_TMPFILE includes O_DIRECTORY, so test all its bits.
static int open_creates(int flags)
{
    return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

static int open_needs_mode(int flags)
{
    return open_creates(flags);
}

// Decides an open under ROOT. Returns 1 to go on, 0 for EIO. An open with O_CREAT/O_TRUNC is a mutating
// call; any open for writing fails once the power is cut. O_TRUNC of an existing regular file destroys its
// data, so with lose_unsynced that is logged like ftruncate(0) (otherwise a later unsynced rewrite of the
// file would "reboot" into an empty file instead of the old content).
static int open_gate(int dirfd, const char *path, int flags)
{
    char abs[PC_PATH_MAX];
    if (!enabled() || abs_path(dirfd, path, abs, sizeof abs) != 0 || !under_root(abs)) {
        return 1;
    }
    int mut = open_creates(flags) || (flags & O_TRUNC) != 0;
    int acc = flags & O_ACCMODE;
    int wr = acc == O_WRONLY || acc == O_RDWR;
    if (!mut && !wr) {
        return 1;
    }
    pthread_mutex_lock(&g_lock);
    int ok;
    if (mut) {
        ok = gate_locked();
        if (ok && (flags & O_TRUNC) && g_lose && (flags & O_TMPFILE) != O_TMPFILE) {
            record_locked(-1, abs, 0, -1);
        }
    } else {
        ok = !g_tripped;
    }
    pthread_mutex_unlock(&g_lock);
    return ok;
}

#define OPEN_BODY(dirfd, path, flags, call) \
    do { \
        int saved_ = errno; \
        if (!open_gate((dirfd), (path), (flags))) { \
            CUT_RETURN(-1); \
        } \
        errno = saved_; \
        return call; \
    } while (0)

#define GET_MODE(flags, mode) \
    mode_t mode = 0; \
    if (open_needs_mode(flags)) { \
        va_list ap_; \
        va_start(ap_, flags); \
        mode = (mode_t)va_arg(ap_, int); \
        va_end(ap_); \
    }

API int open(const char *path, int flags, ...)
{
    GET_MODE(flags, mode);
    OPEN_BODY(AT_FDCWD, path, flags, REAL(open)(path, flags, mode));
}

API int open64(const char *path, int flags, ...)
{
    GET_MODE(flags, mode);
    OPEN_BODY(AT_FDCWD, path, flags, REAL(open64)(path, flags, mode));
}

API int openat(int d, const char *path, int flags, ...)
{
    GET_MODE(flags, mode);
    OPEN_BODY(d, path, flags, REAL(openat)(d, path, flags, mode));
}

API int openat64(int d, const char *path, int flags, ...)
{
    GET_MODE(flags, mode);
    OPEN_BODY(d, path, flags, REAL(openat64)(d, path, flags, mode));
}

API int creat(const char *path, mode_t mode)
{
    OPEN_BODY(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, REAL(creat)(path, mode));
}

API int creat64(const char *path, mode_t mode)
{
    OPEN_BODY(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, REAL(creat64)(path, mode));
}

// The _FORTIFY_SOURCE entry points: open without a mode (they abort on O_CREAT without one).
API int __open_2(const char *path, int flags)
{
    OPEN_BODY(AT_FDCWD, path, flags, ((int (*)(const char *, int))real_sym(&real___open_2, "__open_2"))(path, flags));
}

API int __open64_2(const char *path, int flags)
{
    OPEN_BODY(AT_FDCWD, path, flags,
        ((int (*)(const char *, int))real_sym(&real___open64_2, "__open64_2"))(path, flags));
}

API int __openat_2(int d, const char *path, int flags)
{
    OPEN_BODY(d, path, flags,
        ((int (*)(int, const char *, int))real_sym(&real___openat_2, "__openat_2"))(d, path, flags));
}

API int __openat64_2(int d, const char *path, int flags)
{
    OPEN_BODY(d, path, flags,
        ((int (*)(int, const char *, int))real_sym(&real___openat64_2, "__openat64_2"))(d, path, flags));
}

// ---- control API --------------------------------------------------------------------------------------------

API void powercut_arm(long budget, int lose_unsynced)
{
    enabled();
    try_realpath_root(); // ROOT may have been created after the first intercepted call
    pthread_mutex_lock(&g_lock);
    log_clear_locked();
    g_count = 0;
    g_tripped = 0;
    g_budget = budget < 0 ? 0 : budget;
    g_lose = lose_unsynced != 0;
    pthread_mutex_unlock(&g_lock);
}

// Calls `watch(k)` before the k-th mutating call under ROOT runs (from 1), with the lock held: the files then are
// what a cut at call k leaves ("kept"), and the undo log (powercut_undo_*) is what a cut at k that loses unsynced
// data would undo. The watch may read files and the undo log only; NULL removes it. Set it while disarmed or
// armed with budget 0 (a watched run is never cut), and arm with lose_unsynced to have an undo log to read.
API void powercut_watch(void (*watch)(long call))
{
    pthread_mutex_lock(&g_lock);
    g_watch = watch;
    pthread_mutex_unlock(&g_lock);
}

// The undo log, newest entry first (the order a reboot applies it in). For the watch only (the lock is held).
API long powercut_undo_count(void)
{
    long n = 0;
    for (struct undo *u = g_log; u != NULL; u = u->prev) {
        n++;
    }
    return n;
}

// Entry i (0 = newest): its path and saved bytes (valid until the watch returns), where they go, the file's old
// size (-1: a block device, bytes only) and whether the path still names the file written (a reboot skips it
// otherwise, as undo_apply does). Returns 0 when there is no entry i.
API int powercut_undo_entry(long i, const char **path, long long *off, const unsigned char **bytes, long long *len,
    long long *old_size, int *same_file)
{
    struct undo *u = g_log;
    for (long j = 0; u != NULL && j < i; j++) {
        u = u->prev;
    }
    if (u == NULL || i < 0) {
        return 0;
    }
    struct stat st;
    *path = u->path;
    *off = (long long)u->off;
    *bytes = u->bytes;
    *len = (long long)u->len;
    *old_size = u->is_reg ? (long long)u->old_size : -1;
    *same_file = stat(u->path, &st) == 0 && st.st_dev == u->dev && st.st_ino == u->ino;
    return 1;
}

API long powercut_count(void)
{
    pthread_mutex_lock(&g_lock);
    long c = g_count;
    pthread_mutex_unlock(&g_lock);
    return c;
}

API int powercut_tripped(void)
{
    pthread_mutex_lock(&g_lock);
    int t = g_tripped;
    pthread_mutex_unlock(&g_lock);
    return t;
}

// Puts one entry back. Uses only real functions, so nothing here is counted or cut.
static void undo_apply(const struct undo *u)
{
    int fd = REAL(open)(u->path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        return; // the file is gone (unlinks are durable): nothing to put back
    }
    struct stat st;
    // The path may now name another file, e.g. when a file was renamed away after an unsynced write (the
    // updater never does that: it fsyncs before every rename). Writing our bytes into that other file would
    // be wrong, so such an entry is skipped; set POWERCUT_DEBUG to see it.
    if (fstat(fd, &st) != 0 || st.st_dev != u->dev || st.st_ino != u->ino) {
        if (getenv("POWERCUT_DEBUG") != NULL) {
            fprintf(stderr, "libpowercut: reboot skips %s (no longer the same file)\n", u->path);
        }
        close(fd);
        return;
    }
    size_t done = 0;
    while (done < u->len) {
        ssize_t n = REAL(pwrite)(fd, u->bytes + done, u->len - done, u->off + (off_t)done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            fprintf(stderr, "libpowercut: reboot cannot restore %s: %s\n", u->path, strerror(errno));
            break;
        }
        done += (size_t)n;
    }
    if (u->is_reg && fstat(fd, &st) == 0 && st.st_size > u->old_size) {
        if (REAL(ftruncate)(fd, u->old_size) != 0) {
            fprintf(stderr, "libpowercut: reboot cannot truncate %s: %s\n", u->path, strerror(errno));
        }
    }
    close(fd);
}

API void powercut_reboot(void)
{
    int saved = errno;
    pthread_mutex_lock(&g_lock);
    if (g_lose) {
        for (struct undo *u = g_log; u != NULL; u = u->prev) { // newest first = reverse order
            undo_apply(u);
        }
    }
    log_clear_locked();
    g_tripped = 0;
    g_budget = 0;
    g_count = 0;
    g_lose = 0; // the log has been used up; stop recording until the next arm
    pthread_mutex_unlock(&g_lock);
    errno = saved;
}

API void powercut_disarm(void)
{
    pthread_mutex_lock(&g_lock);
    log_clear_locked();
    g_tripped = 0;
    g_budget = 0;
    g_lose = 0;
    pthread_mutex_unlock(&g_lock);
}
