/*
 * powercut: a SQLite VFS shim that models what a disk keeps when the power goes.
 *
 * Loaded as an extension, it registers itself as the default VFS, wrapping the real one
 * ("unix"). For the main database, its WAL and its rollback journal it keeps, next to each
 * file, a shadow "<file>.durable": the bytes that have reached stable storage. Writes and
 * truncations go to the real file at once (so the running process sees them, as it would
 * through the page cache) and are queued; xSync applies the queue to the shadow, in order.
 * After POWERCUT_AT I/O operations (xWrite, xTruncate, xSync counted together) the power
 * is cut: of each file's queued, unsynced operations a random subset reaches the shadow
 * (a disk may write back any of them, in any order; POWERCUT_SEED), and the process ends
 * with _exit(99) in the middle of the operation. The shadows are then the files a station
 * finds after the power comes back. Directory operations (create, delete) count as
 * durable at once. Memory-mapped I/O is disabled (iVersion 2), so every write is seen.
 *
 * Build: gcc -shared -fPIC -I node_modules/better-sqlite3/deps/sqlite3 powercut-vfs.c -o powercut.so
 */
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct Op {
  int truncate; /* 0: write `n` bytes of `data` at `off`; 1: truncate to `off` */
  sqlite3_int64 off;
  int n;
  unsigned char *data;
  struct Op *next;
} Op;

typedef struct PcFile {
  sqlite3_file base;
  int shadow; /* fd of the shadow, -1 when the file is not tracked */
  Op *head, *tail;
  struct PcFile *nextOpen;
  sqlite3_file *real; /* the wrapped file, allocated right after this struct */
} PcFile;

static sqlite3_vfs *g_real;
static sqlite3_vfs g_vfs;
static long g_ops = 0, g_cutAt = -1;
static unsigned int g_seed = 1;
static PcFile *g_open = 0;

static void apply(int fd, Op *op) {
  if (op->truncate) {
    if (ftruncate(fd, op->off) != 0) _exit(98);
  } else if (pwrite(fd, op->data, op->n, op->off) != op->n) {
    _exit(98);
  }
}

static void dropQueue(PcFile *p) {
  Op *op = p->head;
  while (op) {
    Op *next = op->next;
    free(op->data);
    free(op);
    op = next;
  }
  p->head = p->tail = 0;
}

/* The power goes: some unsynced operations reach the disk, then nothing. */
static void countOp(void) {
  if (g_cutAt < 0 || ++g_ops < g_cutAt) return;
  for (PcFile *p = g_open; p; p = p->nextOpen) {
    if (p->shadow < 0) continue;
    for (Op *op = p->head; op; op = op->next)
      if (rand_r(&g_seed) % 2) apply(p->shadow, op);
  }
  _exit(99);
}

static void queue(PcFile *p, int truncate, const void *data, int n, sqlite3_int64 off) {
  Op *op = calloc(1, sizeof(Op));
  if (!op) _exit(97);
  op->truncate = truncate;
  op->off = off;
  op->n = n;
  if (n > 0) {
    op->data = malloc(n);
    if (!op->data) _exit(97);
    memcpy(op->data, data, n);
  }
  if (p->tail) p->tail->next = op;
  else p->head = op;
  p->tail = op;
}

static int pcClose(sqlite3_file *f) {
  PcFile *p = (PcFile *)f;
  for (PcFile **q = &g_open; *q; q = &(*q)->nextOpen)
    if (*q == p) {
      *q = p->nextOpen;
      break;
    }
  dropQueue(p); /* never synced: a power cut later may or may not keep it; we say not */
  if (p->shadow >= 0) close(p->shadow);
  return p->real->pMethods->xClose(p->real);
}
static int pcRead(sqlite3_file *f, void *buf, int n, sqlite3_int64 off) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xRead(p->real, buf, n, off);
}
static int pcWrite(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off) {
  PcFile *p = (PcFile *)f;
  countOp();
  int rc = p->real->pMethods->xWrite(p->real, buf, n, off);
  if (rc == SQLITE_OK && p->shadow >= 0) queue(p, 0, buf, n, off);
  return rc;
}
static int pcTruncate(sqlite3_file *f, sqlite3_int64 size) {
  PcFile *p = (PcFile *)f;
  countOp();
  int rc = p->real->pMethods->xTruncate(p->real, size);
  if (rc == SQLITE_OK && p->shadow >= 0) queue(p, 1, 0, 0, size);
  return rc;
}
static int pcSync(sqlite3_file *f, int flags) {
  PcFile *p = (PcFile *)f;
  countOp();
  int rc = p->real->pMethods->xSync(p->real, flags);
  if (rc == SQLITE_OK && p->shadow >= 0) {
    for (Op *op = p->head; op; op = op->next) apply(p->shadow, op);
    dropQueue(p);
  }
  return rc;
}
static int pcFileSize(sqlite3_file *f, sqlite3_int64 *size) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xFileSize(p->real, size);
}
static int pcLock(sqlite3_file *f, int l) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xLock(p->real, l);
}
static int pcUnlock(sqlite3_file *f, int l) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xUnlock(p->real, l);
}
static int pcCheckReservedLock(sqlite3_file *f, int *out) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xCheckReservedLock(p->real, out);
}
static int pcFileControl(sqlite3_file *f, int op, void *arg) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xFileControl(p->real, op, arg);
}
static int pcSectorSize(sqlite3_file *f) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xSectorSize(p->real);
}
static int pcDeviceCharacteristics(sqlite3_file *f) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xDeviceCharacteristics(p->real);
}
static int pcShmMap(sqlite3_file *f, int pg, int sz, int extend, void volatile **pp) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xShmMap(p->real, pg, sz, extend, pp);
}
static int pcShmLock(sqlite3_file *f, int offset, int n, int flags) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xShmLock(p->real, offset, n, flags);
}
static void pcShmBarrier(sqlite3_file *f) {
  PcFile *p = (PcFile *)f;
  p->real->pMethods->xShmBarrier(p->real);
}
static int pcShmUnmap(sqlite3_file *f, int del) {
  PcFile *p = (PcFile *)f;
  return p->real->pMethods->xShmUnmap(p->real, del);
}

static const sqlite3_io_methods pcMethods = {
    2, pcClose, pcRead, pcWrite, pcTruncate, pcSync, pcFileSize, pcLock, pcUnlock,
    pcCheckReservedLock, pcFileControl, pcSectorSize, pcDeviceCharacteristics, pcShmMap,
    pcShmLock, pcShmBarrier, pcShmUnmap, 0, 0};

static char *shadowName(const char *name) {
  size_t n = strlen(name);
  char *s = malloc(n + 9);
  if (!s) _exit(97);
  memcpy(s, name, n);
  memcpy(s + n, ".durable", 9);
  return s;
}

/* The shadow starts as a copy of the file as found (which is what survived the last cut). */
static int openShadow(const char *name) {
  char *sname = shadowName(name);
  int fd = open(sname, O_RDWR | O_CREAT | O_TRUNC, 0644);
  free(sname);
  if (fd < 0) return -1;
  int src = open(name, O_RDONLY);
  if (src >= 0) {
    char buf[65536];
    ssize_t r;
    while ((r = read(src, buf, sizeof buf)) > 0)
      if (write(fd, buf, r) != r) _exit(98);
    close(src);
  }
  return fd;
}

static int pcOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *outFlags) {
  (void)vfs;
  PcFile *p = (PcFile *)f;
  memset(p, 0, sizeof *p);
  p->shadow = -1;
  p->real = (sqlite3_file *)&p[1];
  int rc = g_real->xOpen(g_real, name, p->real, flags, outFlags);
  if (rc != SQLITE_OK) {
    p->base.pMethods = 0;
    return rc;
  }
  int tracked = flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL);
  if (tracked && name) p->shadow = openShadow(name);
  p->nextOpen = g_open;
  g_open = p;
  p->base.pMethods = &pcMethods;
  return SQLITE_OK;
}
static int pcDelete(sqlite3_vfs *vfs, const char *name, int syncDir) {
  (void)vfs;
  char *sname = shadowName(name);
  unlink(sname);
  free(sname);
  return g_real->xDelete(g_real, name, syncDir);
}
static int pcAccess(sqlite3_vfs *v, const char *n, int flags, int *out) {
  (void)v;
  return g_real->xAccess(g_real, n, flags, out);
}
static int pcFullPathname(sqlite3_vfs *v, const char *n, int len, char *out) {
  (void)v;
  return g_real->xFullPathname(g_real, n, len, out);
}
static void *pcDlOpen(sqlite3_vfs *v, const char *n) {
  (void)v;
  return g_real->xDlOpen(g_real, n);
}
static void pcDlError(sqlite3_vfs *v, int n, char *msg) {
  (void)v;
  g_real->xDlError(g_real, n, msg);
}
static void (*pcDlSym(sqlite3_vfs *v, void *h, const char *s))(void) {
  (void)v;
  return g_real->xDlSym(g_real, h, s);
}
static void pcDlClose(sqlite3_vfs *v, void *h) {
  (void)v;
  g_real->xDlClose(g_real, h);
}
static int pcRandomness(sqlite3_vfs *v, int n, char *out) {
  (void)v;
  return g_real->xRandomness(g_real, n, out);
}
static int pcSleep(sqlite3_vfs *v, int us) {
  (void)v;
  return g_real->xSleep(g_real, us);
}
static int pcCurrentTime(sqlite3_vfs *v, double *t) {
  (void)v;
  return g_real->xCurrentTime(g_real, t);
}
static int pcGetLastError(sqlite3_vfs *v, int n, char *msg) {
  (void)v;
  return g_real->xGetLastError(g_real, n, msg);
}
static int pcCurrentTimeInt64(sqlite3_vfs *v, sqlite3_int64 *t) {
  (void)v;
  return g_real->xCurrentTimeInt64(g_real, t);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_powercut_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  (void)db;
  (void)err;
  SQLITE_EXTENSION_INIT2(api);
  if (g_real) return SQLITE_OK;
  g_real = sqlite3_vfs_find(0);
  if (!g_real) return SQLITE_ERROR;
  const char *at = getenv("POWERCUT_AT");
  const char *seed = getenv("POWERCUT_SEED");
  if (at) g_cutAt = atol(at);
  if (seed) g_seed = (unsigned int)atol(seed);
  memset(&g_vfs, 0, sizeof g_vfs);
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = (int)sizeof(PcFile) + g_real->szOsFile;
  g_vfs.mxPathname = g_real->mxPathname;
  g_vfs.zName = "powercut";
  g_vfs.xOpen = pcOpen;
  g_vfs.xDelete = pcDelete;
  g_vfs.xAccess = pcAccess;
  g_vfs.xFullPathname = pcFullPathname;
  g_vfs.xDlOpen = pcDlOpen;
  g_vfs.xDlError = pcDlError;
  g_vfs.xDlSym = pcDlSym;
  g_vfs.xDlClose = pcDlClose;
  g_vfs.xRandomness = pcRandomness;
  g_vfs.xSleep = pcSleep;
  g_vfs.xCurrentTime = pcCurrentTime;
  g_vfs.xGetLastError = pcGetLastError;
  g_vfs.xCurrentTimeInt64 = pcCurrentTimeInt64;
  int rc = sqlite3_vfs_register(&g_vfs, 1);
  return rc == SQLITE_OK ? SQLITE_OK_LOAD_PERMANENTLY : rc;
}
