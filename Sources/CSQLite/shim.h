#ifndef PREWARM_CSQLITE_SHIM_H
#define PREWARM_CSQLITE_SHIM_H

#include <sqlite3.h>

// Typed wrappers for the parts of the SQLite API that do not import into Swift.
// SQLITE_TRANSIENT is `((sqlite3_destructor_type)-1)`, a cast Swift cannot express, so the
// bind functions that need it are wrapped here. SQLite copies the bytes before returning.

/// Binds a copy of `byteCount` bytes of UTF-8 `text` to parameter `index` (1-based).
static inline int csqlite_bind_text_transient(sqlite3_stmt *statement, int index, const char *text, int byteCount) {
    return sqlite3_bind_text(statement, index, text, byteCount, SQLITE_TRANSIENT);
}

/// Binds a copy of `byteCount` bytes at `bytes` to parameter `index` (1-based).
static inline int csqlite_bind_blob_transient(sqlite3_stmt *statement, int index, const void *bytes, int byteCount) {
    return sqlite3_bind_blob(statement, index, bytes, byteCount, SQLITE_TRANSIENT);
}

#endif
