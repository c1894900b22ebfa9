// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace psc {

/**
 * The largest file the engine reads whole as input (JSON documents, measurement CSVs): 64 MiB. The bundled
 * files are a few KiB; the cap keeps a wrong path (a disk image, /dev/zero) from exhausting memory.
 */
inline constexpr std::uint64_t kMaxInputFileBytes = 64ull * 1024 * 1024;

/**
 * Reads a whole input file. Only regular files are read: a directory, FIFO, device or socket is refused
 * without blocking (the file is opened non-blocking and checked before anything is read), and so is a file
 * larger than `maxBytes`. Throws InputError naming the file ("net.json: cannot read: ..."), or RuntimeError
 * if reading fails midway. Any thread.
 */
std::string readInputFile(const std::filesystem::path &file, std::uint64_t maxBytes = kMaxInputFileBytes);

/**
 * Quotes user input for a message: `"text"`, with control characters escaped as in JSON. Text longer than
 * `maxCharacters` (UTF-8 characters) is cut to its first `maxCharacters`, followed by "…" and its length:
 * `"aaaaaaaa…" (52428800 characters)`, so a huge key or value never floods a message.
 */
std::string quotedInput(std::string_view text, std::size_t maxCharacters = 40);

} // namespace psc
