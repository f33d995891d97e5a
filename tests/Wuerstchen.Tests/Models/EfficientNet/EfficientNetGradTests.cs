using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Autograd;
using static Wuerstchen.Tests.Models.EfficientNet.EfficientNetFixtures;

namespace Wuerstchen.Tests.Models.EfficientNet;

/// <summary>
/// Gradients of a whole (micro) encoder — input and a parameter of every kind — against float64 finite differences
/// of <see cref="EfficientNetReference"/>, in evaluation mode and in training mode (through the batch statistics).
/// </summary>
public class EfficientNetGradTests
{
    private static readonly string[] CheckedParameters =
    [
        "backbone.0.0.weight",               // stem conv
        "backbone.1.0.block.0.1.weight",     // BatchNorm scale in a FusedMBConv
        "backbone.2.0.block.1.0.weight",     // depthwise conv
        "backbone.2.0.block.2.fc1.weight",   // squeeze-excitation
        "backbone.2.0.block.2.fc2.bias",
        "backbone.3.1.bias",                 // head BatchNorm shift
        "mapper.0.weight",
        "mapper.1.weight",
    ];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradients_MatchFiniteDifferences(bool training)
    {
        using var model = Random(Micro, seed: 21);
        var state = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var rng = new System.Random(22);
        using var x = Image(rng, 2, 3, 8, 8);
        x.RequiresGrad = true;
        var inputs = new[] { x }.Concat(CheckedParameters.Select(k => state[k])).ToArray();
        foreach (var p in inputs) p.RequiresGrad = true;
        var fixedWeights = Weights64(model);   // running statistics as they are before the (training) pass

        GradCheck.Check($"EfficientNetEncoder training={training}", inputs,
            t => training ? model.ForwardTrain(t[0]) : model.Forward(t[0]),
            x64 =>
            {
                var weights = new Dictionary<string, double[]>(fixedWeights);
                for (int i = 0; i < CheckedParameters.Length; i++) weights[CheckedParameters[i]] = x64[i + 1];
                var map = new EfficientNetReference.Map(x64[0], 2, 3, 8, 8);
                return new EfficientNetReference(Micro, weights, training).Forward(map).Data;
            },
            maxProbes: 60);
        foreach (var p in inputs) p.RequiresGrad = false;
    }
}
