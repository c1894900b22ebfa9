// SPDX-License-Identifier: GPL-3.0-or-later
#include "views/frozencolumntableview.h"

#include <QHeaderView>
#include <QScrollBar>

namespace psc {

FrozenColumnTableView::FrozenColumnTableView(QWidget *parent) : QTableView(parent), m_frozen(new QTableView(this))
{
    m_frozen->setObjectName(QStringLiteral("frozenColumn"));
    m_frozen->setFocusPolicy(Qt::NoFocus);
    m_frozen->verticalHeader()->hide();
    m_frozen->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_frozen->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_frozen->setFrameShape(QFrame::NoFrame);
    m_frozen->setVerticalScrollMode(ScrollPerPixel);
    m_frozen->horizontalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_frozen->horizontalHeader()->setSortIndicatorShown(true);
    m_frozen->horizontalHeader()->setHighlightSections(false);
    // Right-clicks on the frozen cells open the table's own menu (its actions).
    m_frozen->setContextMenuPolicy(Qt::NoContextMenu);
    setVerticalScrollMode(ScrollPerPixel);
    setHorizontalScrollMode(ScrollPerPixel);
    viewport()->stackUnder(m_frozen);

    connect(m_frozen->verticalScrollBar(), &QScrollBar::valueChanged, verticalScrollBar(), &QScrollBar::setValue);
    connect(verticalScrollBar(), &QScrollBar::valueChanged, m_frozen->verticalScrollBar(), &QScrollBar::setValue);
    connect(horizontalHeader(), &QHeaderView::sectionResized, this, [this](int logical, int, int size) {
        if (logical == 0) {
            m_frozen->setColumnWidth(0, size);
            updateFrozenGeometry();
        }
    });
    connect(verticalHeader(), &QHeaderView::sectionResized, this,
            [this](int logical, int, int size) { m_frozen->setRowHeight(logical, size); });
    // Column 0 stays the leftmost column.
    connect(horizontalHeader(), &QHeaderView::sectionMoved, this, [this] {
        if (const int visual = horizontalHeader()->visualIndex(0); visual > 0)
            horizontalHeader()->moveSection(visual, 0);
    });
    // Sorting by the frozen column from its own header, and its indicator following the table's.
    connect(m_frozen->horizontalHeader(), &QHeaderView::sectionClicked, this, [this](int logical) {
        if (!isSortingEnabled())
            return;
        const QHeaderView *header = horizontalHeader();
        const bool ascending =
            header->sortIndicatorSection() == logical && header->sortIndicatorOrder() == Qt::AscendingOrder;
        sortByColumn(logical, ascending ? Qt::DescendingOrder : Qt::AscendingOrder);
    });
    connect(horizontalHeader(), &QHeaderView::sortIndicatorChanged, m_frozen->horizontalHeader(),
            &QHeaderView::setSortIndicator);
    // The frozen header's context menu is the table header's (a column chooser, say).
    m_frozen->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_frozen->horizontalHeader(), &QHeaderView::customContextMenuRequested, this, [this](const QPoint &pos) {
        if (horizontalHeader()->contextMenuPolicy() == Qt::CustomContextMenu)
            emit horizontalHeader()->customContextMenuRequested(
                horizontalHeader()->mapFromGlobal(m_frozen->horizontalHeader()->mapToGlobal(pos)));
    });
    // A click in the frozen cells gives the table the keyboard focus (Copy, arrow keys), as a click beside them.
    connect(m_frozen, &QAbstractItemView::pressed, this, [this] { setFocus(Qt::MouseFocusReason); });
}

FrozenColumnTableView::~FrozenColumnTableView() = default;

void FrozenColumnTableView::setModel(QAbstractItemModel *model)
{
    if (QAbstractItemModel *old = this->model())
        disconnect(old, nullptr, this, nullptr);
    QTableView::setModel(model);
    m_frozen->setModel(model);
    m_frozen->setSelectionModel(selectionModel());
    if (model) {
        connect(model, &QAbstractItemModel::modelReset, this, &FrozenColumnTableView::syncColumns);
        connect(model, &QAbstractItemModel::columnsInserted, this, &FrozenColumnTableView::syncColumns);
        connect(model, &QAbstractItemModel::columnsRemoved, this, &FrozenColumnTableView::syncColumns);
        connect(model, &QAbstractItemModel::headerDataChanged, this, &FrozenColumnTableView::syncColumns);
    }
    syncColumns();
}

void FrozenColumnTableView::syncColumns()
{
    // Appearance and behaviour as the table's, set by its owner after construction.
    m_frozen->setSelectionBehavior(selectionBehavior());
    m_frozen->setSelectionMode(selectionMode());
    m_frozen->setAlternatingRowColors(alternatingRowColors());
    m_frozen->setWordWrap(wordWrap());
    m_frozen->verticalHeader()->setDefaultSectionSize(verticalHeader()->defaultSectionSize());
    m_frozen->horizontalHeader()->setFixedHeight(horizontalHeader()->height());
    m_frozen->horizontalHeader()->setSortIndicator(horizontalHeader()->sortIndicatorSection(),
                                                   horizontalHeader()->sortIndicatorOrder());
    const int columns = model() ? model()->columnCount() : 0;
    for (int c = 0; c < columns; ++c)
        m_frozen->setColumnHidden(c, c != 0);
    if (columns > 0)
        m_frozen->setColumnWidth(0, columnWidth(0));
    updateFrozenGeometry();
}

void FrozenColumnTableView::resizeEvent(QResizeEvent *event)
{
    QTableView::resizeEvent(event);
    syncColumns();
}

void FrozenColumnTableView::updateGeometries()
{
    QTableView::updateGeometries();
    updateFrozenGeometry();
}

void FrozenColumnTableView::updateFrozenGeometry()
{
    const bool shown = model() && model()->columnCount() > 0 && !isColumnHidden(0);
    m_frozen->setVisible(shown);
    if (!shown)
        return;
    m_frozen->horizontalHeader()->setFixedHeight(horizontalHeader()->height());
    m_frozen->setGeometry(verticalHeader()->width() + frameWidth(), frameWidth(), columnWidth(0),
                          viewport()->height() + horizontalHeader()->height());
}

QModelIndex FrozenColumnTableView::moveCursor(CursorAction cursorAction, Qt::KeyboardModifiers modifiers)
{
    const QModelIndex current = QTableView::moveCursor(cursorAction, modifiers);
    // Moving left onto a cell hidden under the frozen column scrolls it out from under it.
    if (cursorAction == MoveLeft && current.column() > 0) {
        const int x = visualRect(current).topLeft().x();
        if (x < m_frozen->columnWidth(0))
            horizontalScrollBar()->setValue(horizontalScrollBar()->value() + x - m_frozen->columnWidth(0));
    }
    return current;
}

void FrozenColumnTableView::scrollTo(const QModelIndex &index, ScrollHint hint)
{
    // The frozen column is always in view: bringing one of its cells into view scrolls vertically only.
    const int keep = horizontalScrollBar()->value();
    QTableView::scrollTo(index, hint);
    if (index.column() == 0)
        horizontalScrollBar()->setValue(keep);
}

} // namespace psc
