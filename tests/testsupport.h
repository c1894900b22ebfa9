// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Helpers shared by the test executables (every test has tests/ on its include path).

#include "psc/core/error.h"

#include <functional>
#include <string>

namespace psc::test {

/** What `f` throws as InputError, or "<no InputError>" if it returns (any other exception propagates). */
inline std::string errorOf(const std::function<void()> &f)
{
    try {
        f();
    } catch (const InputError &e) {
        return e.what();
    }
    return "<no InputError>";
}

} // namespace psc::test
