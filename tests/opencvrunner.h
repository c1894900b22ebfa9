// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Runs exported .onnx files in OpenCV DNN 4.6 (Debian), for the tests that check exports against a real runtime.
// Link opencv_dnn and opencv_core.

#include <opencv2/dnn.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace psc::test {

/** An .onnx loaded into OpenCV DNN; run() takes the int8 input (q = pixel - 128, channels first) and returns the
 *  int8 "logits_quantized" output. */
class OpenCvModel
{
public:
    OpenCvModel(const std::string &onnx, std::vector<int> inputDims, double inputScale, int inputZeroPoint)
        : m_net(cv::dnn::readNetFromONNX(onnx.data(), onnx.size())), m_dims(std::move(inputDims)), m_scale(inputScale),
          m_zeroPoint(inputZeroPoint)
    {}

    std::vector<std::int8_t> run(const std::vector<std::int8_t> &input)
    {
        // The float input whose QuantizeLinear gives back q exactly.
        cv::Mat blob(int(m_dims.size()), m_dims.data(), CV_32F);
        for (std::size_t i = 0; i < input.size(); ++i)
            blob.ptr<float>()[i] = float(m_scale * (int(input[i]) - m_zeroPoint));
        m_net.setInput(blob, "input");
        const cv::Mat out = m_net.forward("logits_quantized");
        return {out.ptr<std::int8_t>(), out.ptr<std::int8_t>() + out.total()};
    }

private:
    cv::dnn::Net m_net;
    std::vector<int> m_dims;
    double m_scale;
    int m_zeroPoint;
};

} // namespace psc::test
