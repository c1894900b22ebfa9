// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QTableView>

namespace psc {

/**
 * A table whose first column stays in view when the table scrolls sideways, as a spreadsheet's frozen pane:
 * a second view over the same model and selection, showing only logical column 0, laid over the left edge
 * of the viewport and scrolled vertically with it. Clicks, sorting and the row under the cursor behave as in
 * the main view; column 0 cannot be moved away from the left. GUI thread only.
 */
class FrozenColumnTableView : public QTableView
{
    Q_OBJECT
public:
    explicit FrozenColumnTableView(QWidget *parent = nullptr);
    ~FrozenColumnTableView() override;

    void setModel(QAbstractItemModel *model) override;
    /** The overlay showing column 0 (for tests and styling). */
    QTableView *frozenView() const { return m_frozen; }

protected:
    void resizeEvent(QResizeEvent *event) override;
    void updateGeometries() override;
    QModelIndex moveCursor(CursorAction cursorAction, Qt::KeyboardModifiers modifiers) override;
    void scrollTo(const QModelIndex &index, ScrollHint hint = EnsureVisible) override;

private:
    void syncColumns();
    void updateFrozenGeometry();

    QTableView *m_frozen = nullptr;
};

} // namespace psc
