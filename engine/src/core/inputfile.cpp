// SPDX-License-Identifier: GPL-3.0-or-later
#include "psc/core/inputfile.h"

#include "psc/core/error.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace psc {

namespace {

/** Closes a file descriptor on every exit path. */
class FileDescriptor
{
public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    ~FileDescriptor()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FileDescriptor(const FileDescriptor &) = delete;
    FileDescriptor &operator=(const FileDescriptor &) = delete;
    int get() const { return m_fd; }

private:
    int m_fd = -1;
};

std::string fileKind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

std::string limitText(std::uint64_t bytes)
{
    if (bytes % (1024 * 1024) == 0)
        return std::to_string(bytes / (1024 * 1024)) + " MiB";
    return std::to_string(bytes) + " bytes";
}

[[noreturn]] void tooLarge(const std::string &name, const std::string &size, std::uint64_t maxBytes)
{
    throw InputError(name + ": cannot read: the file is " + size + ", larger than the " + limitText(maxBytes) +
                     " an input file may have");
}

} // namespace

std::string readInputFile(const std::filesystem::path &file, std::uint64_t maxBytes)
{
    const std::string name = file.string();
    // O_NONBLOCK: opening a FIFO without a writer would otherwise wait forever. It does not affect regular files.
    const FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0)
        throw InputError(name + ": cannot read: " + std::strerror(errno));
    struct stat info = {};
    if (::fstat(fd.get(), &info) != 0)
        throw RuntimeError(name + ": cannot read: " + std::strerror(errno));
    if (S_ISDIR(info.st_mode))
        throw InputError(name + ": cannot read: is a directory");
    if (!S_ISREG(info.st_mode))
        throw InputError(name + ": cannot read: " + fileKind(info.st_mode) +
                         ", not a regular file; input files must be regular files");
    if (std::uint64_t(info.st_size) > maxBytes) {
        char size[32];
        std::snprintf(size, sizeof size, "%.1f MiB", double(info.st_size) / (1024.0 * 1024.0));
        tooLarge(name, size, maxBytes);
    }
    std::string text(std::size_t(info.st_size), '\0');
    std::size_t used = 0;
    for (;;) {
        if (used == text.size()) {
            // The file may have grown since fstat(); read on, but never past the cap.
            if (used > maxBytes)
                tooLarge(name, "more than " + limitText(maxBytes), maxBytes);
            text.resize(std::min<std::uint64_t>(maxBytes + 1, std::max<std::size_t>(used * 2, 4096)));
        }
        const ssize_t got = ::read(fd.get(), text.data() + used, text.size() - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            throw RuntimeError(name + ": cannot read: " + std::strerror(errno));
        if (got == 0)
            break;
        used += std::size_t(got);
    }
    if (used > maxBytes)
        tooLarge(name, "more than " + limitText(maxBytes), maxBytes);
    text.resize(used);
    return text;
}

std::string quotedInput(std::string_view text, std::size_t maxCharacters)
{
    std::size_t total = 0;
    for (const char c : text)
        total += (static_cast<unsigned char>(c) & 0xC0) != 0x80; // not a UTF-8 continuation byte
    std::string out = "\"";
    std::size_t characters = 0;
    for (std::size_t k = 0; k < text.size(); ++k) {
        const auto c = static_cast<unsigned char>(text[k]);
        if ((c & 0xC0) != 0x80 && characters++ == maxCharacters)
            break;
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c == 0x7F) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", unsigned(c));
            out += escaped;
        } else {
            out += char(c);
        }
    }
    if (total <= maxCharacters)
        return out + "\"";
    return out + "\xE2\x80\xA6\" (" + std::to_string(total) + " characters)";
}

} // namespace psc
