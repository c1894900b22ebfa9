// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "psc/net/network.h"
#include "psc/study/trial.h"

#include <QWidget>

class QLabel;
class QTableView;

namespace psc {

class LayerCompressionModel;

/**
 * The trial inspector's per-layer compression table (LayerCompressionModel) under a header: the trial,
 * its total size before and after compression, and for a compressed trial the parent it was made from
 * and the variant. Analysing is microseconds, so it runs on the GUI thread when the trial changes. GUI
 * thread only.
 */
class LayerCompressionView : public QWidget
{
    Q_OBJECT
public:
    explicit LayerCompressionView(QWidget *parent = nullptr);

    /**
     * Shows `trial`'s network. `parent` is the trial it was compressed from (Trial::parentId), if known:
     * the header names it, its deployed size and the variant.
     */
    void setTrial(const Trial &trial, const Trial *parent = nullptr);
    /** Shows `network` under `title` (no lineage). */
    void setNetwork(const NetworkDescription &network, const QString &title);
    void clear();

    LayerCompressionModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    /** The header as plain text: the title line, then the lineage line for a compressed trial. */
    QString headerText() const;
    /** The message shown instead of the table (no trial, unreadable architecture), or empty. */
    QString message() const { return m_message; }

private:
    bool showNetwork(const NetworkDescription &network, const QString &title,
                     const NetworkDescription *parent = nullptr);
    void showMessage(const QString &text);
    void fitColumns();

    LayerCompressionModel *m_model = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_lineage = nullptr;
    QTableView *m_table = nullptr;
    QString m_message;
};

} // namespace psc
