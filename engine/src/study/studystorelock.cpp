// SPDX-License-Identifier: GPL-3.0-or-later
// The writer lock of a study and the questions asked of its storage before writing (writable? space left?).
#include "study/studystoreimpl.h"

#include "psc/core/error.h"
#include "psc/study/studywriter.h"

#include <QCoreApplication>
#include <QSysInfo>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace psc {

namespace {

std::filesystem::path directoryOf(const std::filesystem::path &file)
{
    return file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
}

/** Who a lock file names: "pid\napplication\nhost\n". */
struct Holder
{
    long long pid = 0;
    std::string application; ///< empty when unreadable
    std::string host;        ///< empty when unreadable
};

std::optional<Holder> readHolder(int fd)
{
    char buffer[512];
    const ssize_t got = ::pread(fd, buffer, sizeof buffer - 1, 0);
    if (got <= 0)
        return std::nullopt;
    const std::string_view text(buffer, static_cast<std::size_t>(got));
    std::string_view lines[3];
    std::size_t start = 0;
    for (auto &line : lines) {
        const std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            break;
        line = text.substr(start, end - start);
        start = end + 1;
    }
    Holder h;
    const auto [rest, error] = std::from_chars(lines[0].data(), lines[0].data() + lines[0].size(), h.pid);
    if (error != std::errc() || rest != lines[0].data() + lines[0].size() || h.pid <= 0)
        return std::nullopt;
    const auto printable = [](std::string_view s) {
        for (const char c : s) {
            if (static_cast<unsigned char>(c) < 0x20)
                return false;
        }
        return true;
    };
    if (printable(lines[1]))
        h.application = std::string(lines[1]);
    if (printable(lines[2]))
        h.host = std::string(lines[2]);
    return h;
}

/** "paretoscope (pid 1234 on host)" from a lock file, or nothing if unreadable. */
std::string describeHolder(int fd)
{
    const auto h = readHolder(fd);
    if (!h)
        return {};
    std::string who = h->application.empty() ? "another process" : h->application;
    who += " (pid " + std::to_string(h->pid);
    if (!h->host.empty())
        who += " on " + h->host;
    return who + ")";
}

} // namespace

WriterLock::WriterLock(const std::filesystem::path &lockFile, const std::string &label) : m_path(lockFile)
{
    // The loop only repeats if the lock file was removed and re-created between our open() and flock() by a
    // writer that was releasing it; a lock on an unlinked file would lock nothing.
    for (int attempt = 0;; ++attempt) {
        m_fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (m_fd < 0 && errno == EACCES) // left by another user: a read-only descriptor can still hold the lock
            m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (m_fd < 0) {
            const int error = errno;
            if (error == EROFS || error == EPERM)
                throw InputError(label + ": cannot write the study: cannot create its lock file " + m_path.string() +
                                 " (" + std::strerror(error) + ")");
            throw RuntimeError(label + ": cannot use the study's lock file " + m_path.string() + " (" +
                               std::strerror(error) + "); if no Paretoscope is writing this study, delete " +
                               m_path.string() + " and try again");
        }
        if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
            const int error = errno;
            const std::string holder = error == EWOULDBLOCK ? describeHolder(m_fd) : std::string();
            ::close(m_fd);
            m_fd = -1;
            if (error == EWOULDBLOCK)
                throw RuntimeError(label + ": the study is being written by " +
                                   (holder.empty()
                                        ? "another process (its lock file " + m_path.string() + " does not say which)"
                                        : holder) +
                                   "; open it read-only or wait for that run to end");
            // No answer from the OS: the file system has no locks (some network mounts). Say how to decide.
            throw RuntimeError(label + ": cannot tell whether another process is writing the study: locking " +
                               m_path.string() + " failed (" + std::strerror(error) +
                               "); keep studies on a local file system, or copy the study to one");
        }
        struct stat held
        {
        }, named{};
        if (::fstat(m_fd, &held) == 0 && ::stat(m_path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
            held.st_ino == named.st_ino)
            break;
        ::close(m_fd);
        m_fd = -1;
        if (attempt == 10)
            throw RuntimeError(label + ": cannot take the study's lock file " + m_path.string() +
                               ": it keeps being replaced");
    }
    // Only for the message a refused writer gets; if it cannot be written (disk full) the lock still holds.
    const std::string info =
        std::to_string(QCoreApplication::applicationPid()) + "\n" +
        (QCoreApplication::applicationName().isEmpty() ? std::string("paretoscope")
                                                       : QCoreApplication::applicationName().toStdString()) +
        "\n" + QSysInfo::machineHostName().toStdString() + "\n";
    if (::ftruncate(m_fd, 0) == 0) {
        [[maybe_unused]] const ssize_t written = ::pwrite(m_fd, info.data(), info.size(), 0);
    }
}

WriterLock::~WriterLock()
{
    if (m_fd < 0)
        return;
    // Unlink while still holding the lock: a writer that opened the old file before this finds it replaced
    // (see the constructor) instead of locking a file nobody else can see.
    ::unlink(m_path.c_str());
    ::close(m_fd);
}

std::string unwritableReason(const std::filesystem::path &file)
{
    const std::filesystem::path dir = directoryOf(file);
    struct statvfs vfs
    {
    };
    if (::statvfs(dir.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
        return "is on read-only storage";
    // access() answers for the real user, and says EROFS for read-only mounts that statvfs missed.
    if (::access(dir.c_str(), W_OK) != 0) {
        const int error = errno;
        return error == EROFS ? "is on read-only storage"
                              : "is in a folder you cannot write (" + dir.string() + ": " + std::strerror(error) + ")";
    }
    if (::access(file.c_str(), W_OK) != 0 && errno != ENOENT) {
        const int error = errno;
        return error == EROFS ? "is on read-only storage"
                              : "is a file you cannot write (" + std::string(std::strerror(error)) + ")";
    }
    // -wal and -shm left by another user's writer: SQLite could read them, but not write.
    for (const char *suffix : {"-wal", "-shm"}) {
        const std::string side = file.string() + suffix;
        if (::access(side.c_str(), W_OK) != 0 && errno != ENOENT) {
            const int error = errno;
            return "has a side file you cannot write (" + side + ": " + std::strerror(error) +
                   "; left by another user's Paretoscope?)";
        }
    }
    return {};
}

std::int64_t freeBytes(const std::filesystem::path &dir)
{
    struct statvfs vfs
    {
    };
    if (::statvfs(dir.c_str(), &vfs) != 0)
        return -1;
    return static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize);
}

std::string studyWriter(const std::filesystem::path &studyFile)
{
    // Read, never locked: a probe that took the lock, even shared and for a moment, could make a writer starting at
    // that instant fail. The lock file exists while a writer holds it (it is removed on release); one left by a
    // process that died names a pid that is gone on this host.
    const std::filesystem::path lockFile = studyFile.string() + ".lock";
    const int fd = ::open(lockFile.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return {};
    const auto holder = readHolder(fd);
    const std::string who = describeHolder(fd);
    ::close(fd);
    if (!holder)
        return {};
    const bool thisHost = holder->host.empty() || holder->host == QSysInfo::machineHostName().toStdString();
    if (thisHost &&
        (holder->pid == QCoreApplication::applicationPid() || (::kill(pid_t(holder->pid), 0) != 0 && errno == ESRCH)))
        return {};
    return who;
}

} // namespace psc
