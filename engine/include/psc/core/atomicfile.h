// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace psc {

/** A file to write: where, and its bytes. */
struct FileToWrite
{
    std::filesystem::path path;
    std::string bytes;
};

/**
 * Writes `files` so that none is ever seen half-written: each goes to a temporary file next to it (created
 * exclusively, written, fsynced), and only when all are complete are they renamed into place, then the folders are
 * synced. A failure or a kill before the renames leaves the targets as they were (at worst a `.partial` file, never
 * a truncated target); the renames themselves are atomic one by one.
 *
 * Checked before anything is written, as InputError naming the path: a folder that does not exist, a target that is
 * a folder, a target that exists when `overwrite` is false ("... exists; give --force to replace it"); and, when the
 * first file is created, a folder this user may not write to or that takes no files (EACCES, EPERM, EROFS, ENOENT:
 * "... cannot write: Permission denied (choose another folder)"). Other write failures (disk full, I/O) are
 * RuntimeError with the OS's reason. Temporary files are removed either way.
 */
void writeFilesAtomically(const std::vector<FileToWrite> &files, bool overwrite);

} // namespace psc
