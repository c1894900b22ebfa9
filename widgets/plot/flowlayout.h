// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QLayout>
#include <QList>

namespace psc {

/**
 * Lays its items out left to right at their preferred widths and starts a new line when the next one would not fit,
 * as text wraps: a row of controls stays one line on a wide window and takes two on a narrow one instead of
 * squeezing its menus until their entries are cut. Height for width, so the parent gives it the lines it needs.
 * GUI thread only.
 */
class FlowLayout : public QLayout
{
    Q_OBJECT
public:
    explicit FlowLayout(QWidget *parent = nullptr, int horizontalSpacing = 10, int verticalSpacing = 2);
    ~FlowLayout() override;

    void addItem(QLayoutItem *item) override;
    /** Adds `widget` before the item at `index` (at the end for -1). */
    void insertWidget(int index, QWidget *widget);
    int count() const override;
    QLayoutItem *itemAt(int index) const override;
    QLayoutItem *takeAt(int index) override;
    Qt::Orientations expandingDirections() const override;
    bool hasHeightForWidth() const override;
    int heightForWidth(int width) const override;
    QSize minimumSize() const override;
    QSize sizeHint() const override;
    void setGeometry(const QRect &rect) override;

    /** How many lines the items take at `width` (for tests). */
    int lineCount(int width) const;

private:
    /** Places the items in `rect` (only measures when `apply` is false); returns the height used. */
    int arrange(const QRect &rect, bool apply, int *lines = nullptr) const;

    QList<QLayoutItem *> m_items;
    int m_hSpacing;
    int m_vSpacing;
};

} // namespace psc
