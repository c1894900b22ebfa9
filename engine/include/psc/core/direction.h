// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace psc {

/** Whether smaller or larger values of an objective are better. Shared by study specs and Pareto maths. */
enum class Direction
{
    Minimize,
    Maximize,
};

} // namespace psc
