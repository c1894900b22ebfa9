// SPDX-License-Identifier: GPL-3.0-or-later
// The one window geometry (psc/net/window.h), hand-computed TensorFlow cases.
#include "psc/net/analysis.h"
#include "psc/net/window.h"

#include <QTest>

using namespace psc;

Q_DECLARE_METATYPE(psc::WindowAxis)

namespace {

const Padding kSame{PaddingMode::Same, 0};
const Padding kValid{PaddingMode::Valid, 0};

} // namespace

class TestWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void axes_data()
    {
        QTest::addColumn<int>("input");
        QTest::addColumn<int>("kernel");
        QTest::addColumn<int>("stride");
        QTest::addColumn<int>("mode"); // 0 same, 1 valid, 2 explicit 1, 3 explicit 2
        QTest::addColumn<WindowAxis>("expected");
        // {out, padBefore, padAfter, span}
        // same, odd kernel, stride 1: out 5, total (5-1)+3-5 = 2 -> 1 + 1.
        QTest::newRow("same 5 k3 s1") << 5 << 3 << 1 << 0 << WindowAxis{5, 1, 1, 7};
        // same, even kernel: out 5, total 4+4-5 = 3 -> 1 before, 2 after (TF puts the odd one after).
        QTest::newRow("same 5 k4 s1") << 5 << 4 << 1 << 0 << WindowAxis{5, 1, 2, 8};
        // same, stride 2 on an even input: out ceil(6/2) = 3, total 2*2+3-6 = 1 -> 0 before, 1 after.
        QTest::newRow("same 6 k3 s2") << 6 << 3 << 2 << 0 << WindowAxis{3, 0, 1, 7};
        // same, stride 2 on an odd input: out 4, total 3*2+3-7 = 2 -> 1 + 1.
        QTest::newRow("same 7 k3 s2") << 7 << 3 << 2 << 0 << WindowAxis{4, 1, 1, 9};
        // same, kernel 1 stride 2: out 3, total 2*2+1-5 = 0: no padding, the windows read 5 of 5.
        QTest::newRow("same 5 k1 s2") << 5 << 1 << 2 << 0 << WindowAxis{3, 0, 0, 5};
        // same, stride larger than the kernel needs no padding: out ceil(7/3) = 3, total 2*3+2-7 = 1 -> 0, 1.
        QTest::newRow("same 7 k2 s3") << 7 << 2 << 3 << 0 << WindowAxis{3, 0, 1, 8};
        // same, kernel 5 stride 2 on 11: out 6, total 5*2+5-11 = 4 -> 2 + 2.
        QTest::newRow("same 11 k5 s2") << 11 << 5 << 2 << 0 << WindowAxis{6, 2, 2, 15};
        // valid: out floor((5-3)/1)+1 = 3.
        QTest::newRow("valid 5 k3 s1") << 5 << 3 << 1 << 1 << WindowAxis{3, 0, 0, 5};
        // valid, stride that does not divide: floor((6-3)/2)+1 = 2, the last input row is never read (span 5).
        QTest::newRow("valid 6 k3 s2") << 6 << 3 << 2 << 1 << WindowAxis{2, 0, 0, 5};
        // valid, even kernel: floor((7-2)/2)+1 = 3, span 6.
        QTest::newRow("valid 7 k2 s2") << 7 << 2 << 2 << 1 << WindowAxis{3, 0, 0, 6};
        // valid, kernel larger than the input: does not fit.
        QTest::newRow("valid 2 k3") << 2 << 3 << 1 << 1 << WindowAxis{-1, 0, 0, 0};
        // explicit 1: floor((5+2-3)/2)+1 = 3, span 7 = all of 1 + 5 + 1.
        QTest::newRow("explicit1 5 k3 s2") << 5 << 3 << 2 << 2 << WindowAxis{3, 1, 1, 7};
        // explicit 2, stride 2 on 6: floor((6+4-3)/2)+1 = 4, span 9 of the 10 padded: the last zero row unread.
        QTest::newRow("explicit2 6 k3 s2") << 6 << 3 << 2 << 3 << WindowAxis{4, 2, 2, 9};
    }

    void axes()
    {
        QFETCH(int, input);
        QFETCH(int, kernel);
        QFETCH(int, stride);
        QFETCH(int, mode);
        QFETCH(WindowAxis, expected);
        const Padding padding = mode == 0   ? kSame
                                : mode == 1 ? kValid
                                            : Padding{PaddingMode::Explicit, mode == 2 ? 1 : 2};
        const WindowAxis a = windowAxis(input, kernel, stride, padding);
        QCOMPARE(a.out, expected.out);
        QCOMPARE(a.padBefore, expected.padBefore);
        QCOMPARE(a.padAfter, expected.padAfter);
        QCOMPARE(a.span, expected.span);
    }

    void shapeInferenceUsesIt()
    {
        // A same conv with an even kernel and stride 2 on 7x6: out ceil(7/2) x ceil(6/2) = 4x3.
        NetworkDescription net;
        net.input = {1, 7, 6};
        LayerSpec conv;
        conv.type = LayerType::Conv2d;
        conv.name = "c";
        conv.outChannels = 2;
        conv.kernelH = conv.kernelW = 4;
        conv.strideH = conv.strideW = 2;
        conv.padding = kSame;
        net.layers = {conv};
        const ModelAnalysis a = analyzeNetwork(net);
        QVERIFY(a.layers[0].outputShape == (Shape{2, 4, 3}));
        QCOMPARE(windowAxis(7, 4, 2, kSame).out, 4);
        QCOMPARE(windowAxis(6, 4, 2, kSame).out, 3);
    }
};

QTEST_MAIN(TestWindow)
#include "tst_window.moc"
