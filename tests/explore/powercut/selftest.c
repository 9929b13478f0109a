// SPDX-License-Identifier: Apache-2.0
//
// Self test of libpowercut. Run with LD_PRELOAD=libpowercut.so and POWERCUT_ROOT=<empty temp dir>, and
// OUTSIDE=<another temp dir> for the "elsewhere still works" check. The control API is found with
// dlsym(RTLD_DEFAULT) so this program links without the library (and fails clearly when it is not preloaded).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <unistd.h>

static void (*pc_arm)(long, int);
static long (*pc_count)(void);
static int (*pc_tripped)(void);
static void (*pc_reboot)(void);
static void (*pc_disarm)(void);
static void (*pc_watch)(void (*)(long));
static long (*pc_undo_count)(void);
static int (*pc_undo_entry)(long, const char **, long long *, const unsigned char **, long long *, long long *, int *);

static int failures;
static int checks;
static const char *root;
static const char *outside;

#define CHECK(cond, ...) \
    do { \
        checks++; \
        if (cond) { \
            printf("  ok   "); \
        } else { \
            printf("  FAIL "); \
            failures++; \
        } \
        printf(__VA_ARGS__); \
        printf("\n"); \
        fflush(stdout); \
    } while (0)

static char *in_root(const char *name)
{
    static char buf[8][4096];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, sizeof buf[0], "%s/%s", root, name);
    return b;
}

// Reads a whole small file; returns its length or -1.
static long slurp(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return -1;
    }
    long n = (long)read(fd, buf, size - 1);
    close(fd);
    if (n >= 0) {
        buf[n] = '\0';
    }
    return n;
}

static int write_file(const char *path, const char *text, int do_fsync)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) {
        return -1;
    }
    int ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    if (do_fsync) {
        ok = ok && fsync(fd) == 0;
    }
    close(fd);
    return ok ? 0 : -1;
}

static void test_count_only(void)
{
    printf("(1) budget 0 counts mutating calls and performs them\n");
    pc_arm(0, 0);
    int fd = open(in_root("a"), O_CREAT | O_WRONLY, 0644);            // 1 (O_CREAT)
    CHECK(fd >= 0, "open(O_CREAT) under ROOT succeeds");
    CHECK(write(fd, "abc", 3) == 3, "write succeeds");                // 2
    CHECK(fsync(fd) == 0, "fsync succeeds");                          // 3
    close(fd);                                                         // not a mutation
    CHECK(rename(in_root("a"), in_root("b")) == 0, "rename succeeds"); // 4
    CHECK(mkdir(in_root("d"), 0755) == 0, "mkdir succeeds");          // 5
    char buf[64];
    CHECK(slurp(in_root("b"), buf, sizeof buf) == 3 && strcmp(buf, "abc") == 0, "data is really there");
    CHECK(pc_count() == 5, "count is 5 (got %ld)", pc_count());
    CHECK(!pc_tripped(), "not tripped");
}

static void test_budget(void)
{
    printf("(2) budget 3: calls 1-2 happen, call 3 and later fail with EIO and do nothing\n");
    pc_arm(3, 0);
    int fd = open(in_root("c"), O_CREAT | O_WRONLY, 0644);             // 1
    CHECK(fd >= 0, "call 1 (open O_CREAT) performed");
    CHECK(write(fd, "12345", 5) == 5, "call 2 (write) performed");     // 2
    errno = 0;
    CHECK(write(fd, "67890", 5) == -1 && errno == EIO, "call 3 (write) fails with EIO");  // 3
    CHECK(pc_tripped(), "tripped");
    struct stat st;
    CHECK(stat(in_root("c"), &st) == 0 && st.st_size == 5, "call 3 was not performed (size 5)");
    errno = 0;
    CHECK(rename(in_root("c"), in_root("c2")) == -1 && errno == EIO, "call 4 (rename) fails with EIO");
    CHECK(access(in_root("c"), F_OK) == 0 && access(in_root("c2"), F_OK) != 0, "rename was not performed");
    errno = 0;
    CHECK(fsync(fd) == -1 && errno == EIO, "fsync fails with EIO");
    errno = 0;
    CHECK(open(in_root("c"), O_WRONLY) == -1 && errno == EIO, "open O_WRONLY (no O_CREAT) fails with EIO");
    char buf[64];
    CHECK(slurp(in_root("c"), buf, sizeof buf) == 5, "reads still work");
    close(fd);
    char path[4096];
    snprintf(path, sizeof path, "%s/outside.txt", outside);
    CHECK(write_file(path, "fine", 1) == 0, "a file outside ROOT can still be written and fsync'ed");
    snprintf(path, sizeof path, "%s/../%s/x", root, strrchr(outside, '/') + 1);
    CHECK(write_file(path, "fine", 0) == 0, "ROOT/../elsewhere is not under ROOT");
    CHECK(printf("  (stdout still works)\n") > 0, "stdout works");
    errno = 0;
    CHECK(write(STDOUT_FILENO, "", 0) == 0, "write(stdout) passes through");
    CHECK(pc_count() == 5, "count includes the cut call and the calls after it: 5 (got %ld)", pc_count());
    pc_disarm();
    CHECK(!pc_tripped() && write_file(in_root("c"), "again", 0) == 0, "disarm restores service");
}

// The sequence of (3): "old" + fsync, then an unsynced overwrite and extension (pwrite, write() at the end,
// ftruncate growing), optionally an fdatasync, then one more mutating call (the rename) that the budget cuts.
static int lose_sequence(const char *f, int sync_before_cut)
{
    if (write_file(f, "old", 1) != 0) {                    // open O_CREAT|O_TRUNC, write, fsync: 3
        return -1;
    }
    int fd = open(f, O_RDWR);                              // not a mutation
    int ok = pwrite(fd, "new", 3, 0) == 3                   // 4
        && pwrite(fd, "-extended", 9, 3) == 9              // 5
        && lseek(fd, 0, SEEK_END) == 12 && write(fd, "!!", 2) == 2   // 6
        && ftruncate(fd, 20) == 0;                         // 7
    if (sync_before_cut) {
        ok = ok && fdatasync(fd) == 0;                     // 8
    }
    close(fd);
    errno = 0;
    int r = rename(f, in_root("never"));                   // the cut
    return ok ? (r == -1 && errno == EIO ? 1 : 0) : -1;
}

static void test_lose_unsynced(int sync_before_cut)
{
    printf("(3%s) lose_unsynced: %s\n", sync_before_cut ? "b" : "a",
        sync_before_cut ? "data fdatasync'ed before the cut is kept" : "an unsynced overwrite + extension is undone");
    // Measure the calls of the sequence with a dry run (budget 0), then cut right after them.
    pc_arm(0, 1);
    lose_sequence(in_root(sync_before_cut ? "dry2" : "dry1"), sync_before_cut);
    rename(in_root("never"), in_root(sync_before_cut ? "dry2" : "dry1")); // undo the dry run's rename
    long n = pc_count() - 2;  // minus the dry run's final rename and the renaming back
    CHECK(n == (sync_before_cut ? 8 : 7), "dry run: %ld mutating calls before the final rename", n);
    const char *f = in_root(sync_before_cut ? "l2" : "l1");
    pc_arm(n + 1, 1);
    CHECK(lose_sequence(f, sync_before_cut) == 1, "all calls but the final rename ran; the rename got EIO");
    CHECK(pc_tripped(), "tripped");
    char buf[64];
    struct stat st;
    stat(f, &st);
    CHECK(st.st_size == 20, "before reboot the file has the new size 20 (got %lld)", (long long)st.st_size);
    pc_reboot();
    long len = slurp(f, buf, sizeof buf);
    stat(f, &st);
    const char *want = sync_before_cut ? "new-extended!!" : "old";
    long want_len = sync_before_cut ? 20 : 3;
    CHECK(len == want_len && memcmp(buf, want, strlen(want)) == 0,
        "after reboot content is '%s' (got %ld bytes '%.*s')", want, len, (int)(len > 0 ? len : 0), buf);
    CHECK(st.st_size == want_len, "after reboot size is %ld (got %lld)", want_len, (long long)st.st_size);
    CHECK(!pc_tripped() && pc_count() == 0, "reboot untrips and resets the count");
    CHECK(access(in_root("never"), F_OK) != 0, "the cut rename never happened");

    // Truncation and O_TRUNC are data changes too: an unsynced O_TRUNC rewrite comes back as the old file.
    if (!sync_before_cut) {
        pc_arm(0, 1);
        CHECK(write_file(f, "short", 0) == 0, "O_TRUNC rewrite of 'old' as 'short' without fsync");
        int fd = open(f, O_RDWR);
        CHECK(ftruncate(fd, 2) == 0, "ftruncate shrink without fsync");
        close(fd);
        pc_reboot();
        len = slurp(f, buf, sizeof buf);
        CHECK(len == 3 && memcmp(buf, "old", 3) == 0, "after reboot content is 'old' again (got %ld bytes)", len);
    }
}

static void test_direct(void)
{
    printf("(4) a pwrite through an O_DIRECT descriptor is undone\n");
    const char *f = in_root("direct");
    int fd = open(f, O_CREAT | O_RDWR | O_DIRECT, 0644);
    if (fd < 0 && errno == EINVAL) {
        printf("  note: the filesystem of ROOT refuses O_DIRECT (EINVAL); case skipped\n");
        return;
    }
    CHECK(fd >= 0, "open O_DIRECT");
    void *a = NULL;
    void *b = NULL;
    if (posix_memalign(&a, 4096, 8192) != 0 || posix_memalign(&b, 4096, 8192) != 0) {
        CHECK(0, "posix_memalign");
        return;
    }
    memset(a, 'A', 8192);
    memset(b, 'B', 8192);
    pc_arm(0, 1);
    ssize_t w = pwrite(fd, a, 8192, 0);
    if (w < 0 && errno == EINVAL) {
        printf("  note: O_DIRECT writes refused with EINVAL here; case skipped\n");
        close(fd);
        return;
    }
    CHECK(w == 8192 && fsync(fd) == 0, "8 KiB of 'A' written and fsync'ed");
    CHECK(pwrite(fd, b, 4096, 4096) == 4096 && pwrite(fd, b, 8192, 8192) == 8192,
        "unsynced: second block and two more blocks of 'B' (O_DIRECT, file grows to 16 KiB)");
    close(fd);
    pc_reboot();
    int rfd = open(f, O_RDONLY);
    char *got = malloc(16384);
    long n = (long)read(rfd, got, 16384);
    close(rfd);
    int all_a = n == 8192;
    for (long i = 0; all_a && i < n; i++) {
        all_a = got[i] == 'A';
    }
    CHECK(all_a, "after reboot the file is 8 KiB of 'A' again (read %ld bytes)", n);
    free(got);
    free(a);
    free(b);
}

static void test_create_after_trip(void)
{
    printf("(5) after the cut, opens that create or write under ROOT fail with EIO\n");
    pc_arm(1, 0);
    errno = 0;
    CHECK(mkdir(in_root("cutdir"), 0755) == -1 && errno == EIO, "call 1 (mkdir) is cut");
    errno = 0;
    CHECK(open(in_root("new-after-cut"), O_CREAT | O_WRONLY, 0644) == -1 && errno == EIO,
        "open O_CREAT fails with EIO");
    CHECK(access(in_root("new-after-cut"), F_OK) != 0, "and creates nothing");
    errno = 0;
    CHECK(creat(in_root("creat-after-cut"), 0644) == -1 && errno == EIO, "creat fails with EIO");
    errno = 0;
    CHECK(openat(AT_FDCWD, in_root("b"), O_RDWR) == -1 && errno == EIO, "openat O_RDWR fails with EIO");
    int fd = open(in_root("b"), O_RDONLY);
    CHECK(fd >= 0, "open O_RDONLY still works");
    close(fd);
    pc_disarm();
}

static void test_exact_count(void)
{
    printf("(6) powercut_count equals the mutating calls made (every wrapper kind, outside ROOT not counted)\n");
    char path[4096];
    pc_arm(0, 1);
    long expect = 0;
    int dfd = open(root, O_RDONLY | O_DIRECTORY);                          // not a mutation
    int fd = openat(dfd, "c6", O_CREAT | O_RDWR, 0644); expect++;          // relative to a dirfd
    struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
    writev(fd, iov, 2); expect++;
    pwritev(fd, iov, 2, 10); expect++;
    pwritev2(fd, iov, 2, -1, 0); expect++;
    pwrite64(fd, "x", 1, 30); expect++;
    fallocate(fd, 0, 0, 100); expect++;
    posix_fallocate(fd, 0, 200); expect++;
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); expect++;
    fdatasync(fd); expect++;
    ftruncate64(fd, 50); expect++;
    int fd2 = open(in_root("c6b"), O_CREAT | O_RDWR | O_TRUNC, 0644); expect++;
    off64_t oin = 0;
    copy_file_range(fd, &oin, fd2, NULL, 20, 0); expect++;
    close(fd2);
    close(fd);
    truncate(in_root("c6b"), 5); expect++;
    mkdirat(dfd, "d6", 0755); expect++;
    symlinkat("c6", dfd, "s6"); expect++;
    linkat(dfd, "c6", dfd, "h6", 0); expect++;
    renameat(dfd, "h6", dfd, "h6b"); expect++;
    renameat2(dfd, "h6b", dfd, "h6c", RENAME_NOREPLACE); expect++;
    unlinkat(dfd, "h6c", 0); expect++;
    unlinkat(dfd, "d6", AT_REMOVEDIR); expect++;
    int cfd = creat(in_root("c6c"), 0644); expect++;
    close(cfd);
    int tfd = open(root, O_TMPFILE | O_RDWR, 0600);
    if (tfd >= 0 || errno != EOPNOTSUPP) {
        expect++;
        close(tfd);
    }
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL && chdir(root) == 0, "chdir into ROOT for relative paths");
    symlink("c6", "s6b"); expect++;
    link("c6", "h6d"); expect++;
    unlink("h6d"); expect++;
    mkdir("d6b", 0755); expect++;
    rmdir("d6b"); expect++;
    int rfd = open("c6", O_RDONLY); // not a mutation
    close(rfd);
    int wfd = open("c6", O_WRONLY); // write access alone is not a mutation
    write(wfd, "w", 1); expect++;
    fsync(wfd); expect++;
    close(wfd);
    CHECK(chdir(cwd) == 0, "back to the old cwd");
    // Outside ROOT: not counted.
    snprintf(path, sizeof path, "%s/o6", outside);
    int ofd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(ofd, "o", 1);
    fsync(ofd);
    close(ofd);
    unlink(path);
    close(dfd);
    CHECK(pc_count() == expect, "count %ld == %ld calls made", pc_count(), expect);
    pc_disarm();
}

static void test_misc(void)
{
    printf("(7) errno, dlopen by soname\n");
    pc_arm(0, 0);
    int fd = open(in_root("e7"), O_CREAT | O_WRONLY, 0644);
    errno = ENOTTY;
    CHECK(write(fd, "e", 1) == 1 && errno == ENOTTY, "a successful wrapped write leaves errno alone");
    close(fd);
    errno = 0;
    CHECK(open(in_root("missing/x"), O_CREAT | O_WRONLY, 0644) == -1 && errno == ENOENT,
        "a failing passed-through call keeps its errno (ENOENT)");
    errno = 0;
    CHECK(write(-1, "x", 1) == -1 && errno == EBADF, "write(-1) gives EBADF");
    void *h = dlopen("libpowercut.so", RTLD_NOW | RTLD_NOLOAD);
    CHECK(h != NULL && dlsym(h, "powercut_count") == (void *)pc_count,
        "dlopen(\"libpowercut.so\") (what DllImport does) returns the preloaded copy");
    pc_disarm();
}

// The watched operation: three rewrites of one file with an fsync between the first two.
static void watched_operation(void)
{
    int fd = open(in_root("w8"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "one", 3);
    fsync(fd);
    pwrite(fd, "TWO", 3, 0);
    pwrite(fd, "three", 5, 0);
    close(fd);
}

static char seen_kept[16][16];
static char seen_lost[16][16];
static long seen_calls;

// What a reboot after a cut here would leave with unsynced data lost: the file with the undo log applied, newest first.
static void watch_hook(long call)
{
    if (call < 1 || call > 15) {
        return;
    }
    seen_calls = call;
    char buf[16] = { 0 };
    long n = slurp(in_root("w8"), buf, sizeof buf);
    snprintf(seen_kept[call], sizeof seen_kept[call], "%s", n < 0 ? "(none)" : buf);
    char lost[16] = { 0 };
    memcpy(lost, buf, sizeof lost);
    long long size = n < 0 ? 0 : n;
    for (long i = 0; i < pc_undo_count(); i++) {
        const char *path;
        const unsigned char *bytes;
        long long off, len, old_size;
        int same;
        if (pc_undo_entry(i, &path, &off, &bytes, &len, &old_size, &same) && same && off + len <= 15) {
            memcpy(lost + off, bytes, (size_t)len);
            if (off + len > size) {
                size = off + len; // a write past the end extends the file, as the reboot's pwrite does
            }
            if (old_size >= 0 && size > old_size) {
                size = old_size;
            }
        }
    }
    lost[size < 15 ? size : 15] = '\0';
    snprintf(seen_lost[call], sizeof seen_lost[call], "%s", n < 0 ? "(none)" : lost);
}

static void test_watch(void)
{
    printf("(8) the watch sees, at every call, what a cut at that call leaves (kept, and with unsynced data lost)\n");
    int fd = open(in_root("w8"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "old", 3);
    fsync(fd);
    close(fd);
    pc_arm(0, 1);
    pc_watch(watch_hook);
    watched_operation();
    pc_watch(NULL);
    long calls = pc_count();
    pc_disarm();
    CHECK(calls == 5 && seen_calls == 5, "watched at each of the %ld calls (seen %ld)", calls, seen_calls);
    for (long k = 1; k <= calls; k++) {
        for (int lose = 0; lose <= 1; lose++) {
            fd = open(in_root("w8"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            write(fd, "old", 3);
            fsync(fd);
            close(fd);
            pc_arm(k, lose);
            watched_operation();
            pc_reboot();
            char buf[16] = { 0 };
            long n = slurp(in_root("w8"), buf, sizeof buf);
            const char *real = n < 0 ? "(none)" : buf;
            const char *watched = lose ? seen_lost[k] : seen_kept[k];
            CHECK(strcmp(real, watched) == 0, "cut at call %ld%s: the disk holds \"%s\", the watch saw \"%s\"", k,
                lose ? " losing unsynced data" : "", real, watched);
        }
    }
}

int main(void)
{
    root = getenv("POWERCUT_ROOT");
    outside = getenv("OUTSIDE");
    pc_arm = (void (*)(long, int))dlsym(RTLD_DEFAULT, "powercut_arm");
    pc_count = (long (*)(void))dlsym(RTLD_DEFAULT, "powercut_count");
    pc_tripped = (int (*)(void))dlsym(RTLD_DEFAULT, "powercut_tripped");
    pc_reboot = (void (*)(void))dlsym(RTLD_DEFAULT, "powercut_reboot");
    pc_disarm = (void (*)(void))dlsym(RTLD_DEFAULT, "powercut_disarm");
    pc_watch = (void (*)(void (*)(long)))dlsym(RTLD_DEFAULT, "powercut_watch");
    pc_undo_count = (long (*)(void))dlsym(RTLD_DEFAULT, "powercut_undo_count");
    pc_undo_entry = (int (*)(long, const char **, long long *, const unsigned char **, long long *, long long *, int *))dlsym(
        RTLD_DEFAULT, "powercut_undo_entry");
    if (root == NULL || outside == NULL || !pc_arm || !pc_count || !pc_tripped || !pc_reboot || !pc_disarm || !pc_watch || !pc_undo_count || !pc_undo_entry) {
        fprintf(stderr, "run under LD_PRELOAD=libpowercut.so with POWERCUT_ROOT and OUTSIDE set\n");
        return 2;
    }
    test_count_only();
    test_budget();
    test_lose_unsynced(0);
    test_lose_unsynced(1);
    test_direct();
    test_create_after_trip();
    test_exact_count();
    test_misc();
    test_watch();
    printf("%d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
