// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/fitmatrix.h"

#include "psc/core/siformat.h"

#include <QHeaderView>
#include <QStyle>

#include <cmath>

namespace psc {

FitMatrix::FitMatrix(QWidget *parent) : QTableWidget(parent)
{
    setObjectName(QStringLiteral("fitMatrix"));
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionMode(QAbstractItemView::NoSelection);
    setWordWrap(false);
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    setToolTip(tr("Every target's limits against this trial's network as it deploys: green with the headroom "
                  "when the limit holds, red with the excess when it does not. Hover a cell for the target's own "
                  "message; click a row to see that target's cost per layer."));
}

QColor FitMatrix::okColour()
{
    return {0xc8, 0xeb, 0xc8};
}

QColor FitMatrix::violatedColour()
{
    return {0xf4, 0xc0, 0xc0};
}

QString FitMatrix::limitLabel(const QString &name)
{
    QStringList words = name.split(QLatin1Char('_'), Qt::SkipEmptyParts);
    for (QString &w : words)
        if (w == QLatin1String("sram") || w == QLatin1String("dram"))
            w = w.toUpper();
    QString label = words.join(QLatin1Char(' '));
    if (!label.isEmpty())
        label[0] = label[0].toUpper();
    return label;
}

QString FitMatrix::limitValueText(const plugin::LimitCheck &limit, double value)
{
    // The engine's formatter, in the limit's own unit; other units ("cells") follow a count.
    const std::string &u = limit.unit;
    if (u == "B" || u == "s" || u == "J" || u == "W")
        return QString::fromStdString(formatQuantity(value, u));
    const QString count = QString::fromStdString(formatQuantity(value, ""));
    return u.empty() ? count : count + QLatin1Char(' ') + QString::fromStdString(u);
}

QString FitMatrix::marginText(const plugin::LimitCheck &limit)
{
    const double margin = limit.limit - limit.value;
    if (limit.ok)
        return QStringLiteral("+") + limitValueText(limit, std::abs(margin));
    const QString excess = QStringLiteral("-") + limitValueText(limit, std::abs(margin));
    if (limit.limit > 0)
        return tr("%1, %2 % over").arg(excess).arg(100.0 * (limit.value - limit.limit) / limit.limit, 0, 'f', 0);
    return tr("%1 over").arg(excess);
}

void FitMatrix::clearEstimates()
{
    clear();
    setRowCount(0);
    setColumnCount(0);
}

void FitMatrix::setEstimates(const std::vector<plugin::CostEstimate> &estimates, const QStringList &names)
{
    clearEstimates();
    QStringList columns;
    for (const plugin::CostEstimate &e : estimates)
        for (const plugin::LimitCheck &l : e.limits)
            if (!columns.contains(QString::fromStdString(l.name)))
                columns << QString::fromStdString(l.name);
    setColumnCount(int(columns.size()) + 1);
    setRowCount(int(estimates.size()));
    auto *fitHeader = new QTableWidgetItem(tr("Fits"));
    fitHeader->setToolTip(tr("✓ when every limit of the target holds"));
    setHorizontalHeaderItem(0, fitHeader);
    for (int c = 0; c < columns.size(); ++c) {
        auto *header = new QTableWidgetItem(limitLabel(columns[c]));
        header->setData(Qt::UserRole, columns[c]);
        header->setToolTip(tr("Limit \"%1\": headroom or excess per target").arg(columns[c]));
        setHorizontalHeaderItem(c + 1, header);
    }
    for (int r = 0; r < int(estimates.size()); ++r) {
        const plugin::CostEstimate &e = estimates[std::size_t(r)];
        auto *rowHeader = new QTableWidgetItem(QString::fromStdString(e.targetId));
        rowHeader->setToolTip(names.value(r, QString::fromStdString(e.targetId)));
        setVerticalHeaderItem(r, rowHeader);
        auto *fits = new QTableWidgetItem(e.feasible() ? QStringLiteral("✓") : QStringLiteral("✗"));
        fits->setTextAlignment(Qt::AlignCenter);
        fits->setBackground(e.feasible() ? okColour() : violatedColour());
        fits->setToolTip(e.feasible() ? tr("%1: every limit holds").arg(QString::fromStdString(e.targetId))
                                      : tr("%1: some limits are exceeded").arg(QString::fromStdString(e.targetId)));
        setItem(r, 0, fits);
        for (int c = 0; c < columns.size(); ++c) {
            auto *cell = new QTableWidgetItem;
            cell->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            for (const plugin::LimitCheck &l : e.limits) {
                if (QString::fromStdString(l.name) != columns[c])
                    continue;
                cell->setText(marginText(l));
                cell->setBackground(l.ok ? okColour() : violatedColour());
                cell->setToolTip(QStringLiteral("%1: %2 of %3 — %4")
                                     .arg(QString::fromStdString(e.targetId), limitValueText(l, l.value),
                                          limitValueText(l, l.limit), QString::fromStdString(l.message)));
                cell->setData(Qt::UserRole, l.ok);
            }
            if (cell->text().isEmpty())
                cell->setToolTip(
                    tr("%1 has no %2 limit").arg(QString::fromStdString(e.targetId), limitLabel(columns[c])));
            setItem(r, c + 1, cell);
        }
    }
}

int FitMatrix::limitColumn(const QString &name) const
{
    for (int c = 0; c < columnCount(); ++c)
        if (horizontalHeaderItem(c) && horizontalHeaderItem(c)->data(Qt::UserRole).toString() == name)
            return c;
    return -1;
}

void FitMatrix::setCurrentTarget(const QString &id)
{
    for (int r = 0; r < rowCount(); ++r)
        if (QTableWidgetItem *header = verticalHeaderItem(r)) {
            QFont f = font();
            f.setBold(header->text() == id);
            header->setFont(f);
            header->setIcon(header->text() == id ? style()->standardIcon(QStyle::SP_ArrowRight) : QIcon());
            if (header->text() == id)
                scrollTo(model()->index(r, 0));
        }
}

int FitMatrix::targetRow(const QString &id) const
{
    for (int r = 0; r < rowCount(); ++r)
        if (verticalHeaderItem(r) && verticalHeaderItem(r)->text() == id)
            return r;
    return -1;
}

} // namespace psc
