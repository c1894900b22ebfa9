// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/core/atomicfile.h"

#include "psc/core/error.h"

#include <cerrno>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <unistd.h>

namespace psc {
namespace {

namespace fs = std::filesystem;

std::string reason(int error)
{
    return std::strerror(error);
}

void syncFolder(const fs::path &folder)
{
    const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd); // best effort: some file systems refuse fsync on folders
        ::close(fd);
    }
}

/** Writes `bytes` to a new file at `path` and syncs it; throws RuntimeError. */
void writeNew(const fs::path &path, const std::string &bytes, const fs::path &target)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        const int error = errno;
        // A folder this user may not write to, or that takes no files (read-only mounts, /proc): the user's choice
        // of path, to be fixed by choosing another (exit 2). A full or failing disk is not (RuntimeError).
        if (error == EACCES || error == EPERM || error == EROFS || error == ENOENT)
            throw InputError(target.string() + ": cannot write: " + reason(error) + " (choose another folder)");
        throw RuntimeError(target.string() + ": cannot write: " + reason(error));
    }
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int error = n < 0 ? errno : EIO;
            ::close(fd);
            throw RuntimeError(target.string() + ": cannot write: " + reason(error));
        }
        done += std::size_t(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0)
        throw RuntimeError(target.string() + ": cannot write: " + reason(errno));
}

} // namespace

void writeFilesAtomically(const std::vector<FileToWrite> &files, bool overwrite)
{
    std::set<fs::path> folders;
    for (const FileToWrite &f : files) {
        const fs::path folder = f.path.has_parent_path() ? f.path.parent_path() : fs::path(".");
        std::error_code ec;
        if (!fs::is_directory(folder, ec))
            throw InputError(f.path.string() + ": cannot write: the folder " + folder.string() + " does not exist");
        const fs::file_status status = fs::symlink_status(f.path, ec);
        if (fs::is_directory(status))
            throw InputError(f.path.string() + ": cannot write: it is a folder");
        if (fs::exists(status) && !overwrite)
            throw InputError(f.path.string() + ": exists; give --force to replace it");
        folders.insert(folder);
    }
    std::vector<fs::path> partials;
    try {
        for (const FileToWrite &f : files) {
            fs::path partial = f.path;
            partial += ".partial-" + std::to_string(::getpid());
            ::unlink(partial.c_str()); // a leftover of an earlier process with the same pid
            partials.push_back(partial);
            writeNew(partial, f.bytes, f.path);
        }
        for (std::size_t i = 0; i < files.size(); ++i)
            if (::rename(partials[i].c_str(), files[i].path.c_str()) != 0)
                throw RuntimeError(files[i].path.string() + ": cannot write: " + reason(errno));
    } catch (...) {
        for (const fs::path &p : partials)
            ::unlink(p.c_str());
        throw;
    }
    for (const fs::path &folder : folders)
        syncFolder(folder);
}

} // namespace psc
