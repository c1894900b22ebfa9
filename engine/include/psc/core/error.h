// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <stdexcept>
#include <string>

namespace psc {

/**
 * Bad input from the user: a malformed or inconsistent file, an impossible shape, a wrong argument.
 * The message is complete and ready to print (it names the file, the JSON path and line:column where
 * known, and what was expected). Front ends map it to exit code 2.
 */
class InputError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

/** A failure while doing valid work (I/O error, database busy, training diverged). Exit code 1. */
class RuntimeError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

} // namespace psc
