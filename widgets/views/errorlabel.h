// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QColor>
#include <QLabel>
#include <QPalette>

namespace psc {

/**
 * The dialogs' message line for the engine's errors: red, wrapped, plain text (file names and JSON pointers are
 * not markup) and selectable, so a user can copy "c.json:7:5: /variants/3: ..." into a bug report.
 */
inline QLabel *createErrorLabel(QWidget *parent, const QString &objectName)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPalette palette = label->palette();
    palette.setColor(QPalette::WindowText, QColor(0xb0, 0x1c, 0x1c));
    label->setPalette(palette);
    return label;
}

} // namespace psc
