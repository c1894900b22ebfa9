// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <psc/plugin/hardwaretarget.h>

#include <QColor>
#include <QStringList>
#include <QTableWidget>

#include <vector>

namespace psc {

/**
 * "Does this model fit?" for many targets at once: one row per target, one column per kind of limit any
 * of them checks (SRAM, flash, crossbar cells, latency, ...). A cell is green with the headroom
 * ("+42.1 KiB") when the limit holds and red with the excess ("-84.0 KiB, 66 % over") when it does not;
 * its tooltip is the target's own message. Limits a target does not have are blank. GUI thread only.
 */
class FitMatrix : public QTableWidget
{
    Q_OBJECT
public:
    explicit FitMatrix(QWidget *parent = nullptr);

    /** One row per estimate, labelled with its target id; `names[i]` (if given) is row i's tooltip. */
    void setEstimates(const std::vector<plugin::CostEstimate> &estimates, const QStringList &names = {});
    void clearEstimates();

    /** The column of limit `name` ("sram"), or -1. */
    int limitColumn(const QString &name) const;
    /** Marks target `id`'s row (bold heading, a pointer) as the one other views show; "" unmarks. */
    void setCurrentTarget(const QString &id);
    /** The row of target `id`, or -1. */
    int targetRow(const QString &id) const;

    /** The cell text for a limit: headroom "+42.1 KiB" when it holds, "-84.0 KiB, 66 % over" when not. */
    static QString marginText(const plugin::LimitCheck &limit);
    /** A limit's value in its unit ("128.0 KiB", "3.20 ms", "12 k cells"). */
    static QString limitValueText(const plugin::LimitCheck &limit, double value);
    static QColor okColour();
    static QColor violatedColour();
    /** A column heading for a limit name: "sram" -> "SRAM", "crossbar_cells" -> "Crossbar cells". */
    static QString limitLabel(const QString &name);
};

} // namespace psc
