// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Runs exported .tflite files in ArmNN (Debian's libarmnn22, ArmNN 20.08) on its CpuRef backend, for the tests
// that check exports against a real runtime. Link armnn and armnnTfLiteParser.

#include <armnn/ArmNN.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace psc::test {

/** A .tflite loaded into ArmNN (CpuRef); run() takes int8 NHWC inputs and returns the \"logits\" output. */
class ArmnnModel
{
public:
    explicit ArmnnModel(const std::string &flatbuffer)
    {
        auto parser = armnnTfLiteParser::ITfLiteParser::Create();
        armnn::INetworkPtr net =
            parser->CreateNetworkFromBinary(std::vector<std::uint8_t>(flatbuffer.begin(), flatbuffer.end()));
        m_input = parser->GetNetworkInputBindingInfo(0, parser->GetSubgraphInputTensorNames(0).at(0));
        for (const std::string &name : parser->GetSubgraphOutputTensorNames(0)) {
            if (name == "logits")
                m_logits = m_outputs.size();
            m_outputs.push_back(parser->GetNetworkOutputBindingInfo(0, name));
        }
        m_runtime = armnn::IRuntime::Create(armnn::IRuntime::CreationOptions{});
        armnn::IOptimizedNetworkPtr optimized =
            armnn::Optimize(*net, {armnn::BackendId("CpuRef")}, m_runtime->GetDeviceSpec());
        if (!optimized)
            throw std::runtime_error("ArmNN could not optimise the network for CpuRef");
        std::string error;
        if (m_runtime->LoadNetwork(m_id, std::move(optimized), error) != armnn::Status::Success)
            throw std::runtime_error("ArmNN refused the network: " + error);
    }

    std::vector<std::int8_t> run(const std::vector<std::int8_t> &nhwc)
    {
        // ArmNN wants a buffer for every output (a final softmax's probabilities too).
        std::vector<std::vector<std::int8_t>> results;
        armnn::OutputTensors outs;
        for (const auto &binding : m_outputs)
            results.emplace_back(binding.second.GetNumElements());
        for (std::size_t k = 0; k < m_outputs.size(); ++k)
            outs.push_back({m_outputs[k].first, armnn::Tensor(m_outputs[k].second, results[k].data())});
        const armnn::InputTensors in{{m_input.first, armnn::ConstTensor(m_input.second, nhwc.data())}};
        if (m_runtime->EnqueueWorkload(m_id, in, outs) != armnn::Status::Success)
            throw std::runtime_error("ArmNN could not run the network");
        return results.at(m_logits);
    }

private:
    armnn::IRuntimePtr m_runtime{nullptr, nullptr};
    armnn::NetworkId m_id = 0;
    armnnTfLiteParser::BindingPointInfo m_input;
    std::vector<armnnTfLiteParser::BindingPointInfo> m_outputs;
    std::size_t m_logits = 0;
};

/** The index of the largest value (the first of equals): the class. */
inline int argmax(const std::vector<std::int8_t> &v)
{
    return int(std::max_element(v.begin(), v.end()) - v.begin());
}

} // namespace psc::test
