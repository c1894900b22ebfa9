// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <string>

namespace psc {

/**
 * Who is writing the study in `studyFile` (its writer lock, FILE.lock, names the holder), as "paretoscope (pid 1234
 * on host)", or "" when no other live process is: no lock file, one left by a process that is gone, or this process's
 * own. Reads the lock file only, never takes the lock, so it cannot disturb a writer starting at the same moment.
 * A GUI uses it to say why a study cannot be run now. Any thread.
 */
std::string studyWriter(const std::filesystem::path &studyFile);

} // namespace psc
