using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models;
using Wuerstchen.Models.Nn;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Models.Nn;

/// <summary>A model lists its parameters and state by the keys of the file it came from, and can own writable copies.</summary>
public class ModuleTests
{
    [Theory]
    [InlineData("prior")]
    [InlineData("decoder")]
    [InlineData("vqgan")]
    [InlineData("text_encoder")]
    public void StateDict_ListsEveryStoredTensorOnceWithItsShape(string component)
    {
        string folder = component switch
        {
            "prior" => ModelFolders.TinyPrior,
            "decoder" => ModelFolders.TinyDecoder,
            "vqgan" => ModelFolders.TinyVqgan,
            _ => ModelFolders.TinyPriorTextEncoder,
        };
        using Module model = component switch
        {
            "prior" => WuerstchenPrior.FromPretrained(folder),
            "decoder" => WuerstchenDiffNeXt.FromPretrained(folder),
            "vqgan" => PaellaVQModel.FromPretrained(folder),
            _ => ClipTextModel.FromPretrained(folder),
        };
        using var file = SafeTensorsCollection.OpenComponent(folder, File.Exists(Path.Combine(folder, "model.safetensors")) ? "model" : "diffusion_pytorch_model", null);
        var stored = file.Keys.Where(k => !k.EndsWith("position_ids") && !k.EndsWith("num_batches_tracked")).Order(StringComparer.Ordinal).ToArray();
        var state = model.StateDict().ToArray();
        Assert.Equal(stored, state.Select(kv => kv.Key).Order(StringComparer.Ordinal).ToArray());
        foreach (var (key, t) in state)
        {
            Assert.True(file.TryGetInfo(key, out var info));
            Assert.Equal(info.Shape, t.Shape.ToArray());
        }
        var parameters = model.NamedParameters().Select(p => p.Name).ToArray();
        Assert.DoesNotContain(parameters, k => k.EndsWith("running_mean") || k.EndsWith("running_var"));
        Assert.Equal(state.Length - (component == "vqgan" ? 2 : 0), parameters.Length);
        Assert.Equal(model.NamedParameters().Sum(p => p.Value.Numel), model.ParameterCount());
    }

    [Fact]
    public void WritableWeights_AreOwnedCopiesThatTheForwardPassReads()
    {
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior, writable: true);
        using var reference = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior);
        var cfg = prior.Config;
        using var x = Tensor.Full(0.3f, 1, cfg.CIn, 4, 4);
        using var r = Tensor.Full(0.5f, 1);
        using var c = Tensor.Full(0.1f, 1, 3, cfg.CCond);
        using var before = prior.Forward(x, r, c);
        using var same = reference.Forward(x, r, c);
        TensorAssert.Close(same, before, 0, 0);

        // Updating a parameter in place changes what the model computes (the listed tensor is the one consumed),
        // and leaves another model loaded from the same file untouched.
        var outWeight = prior.NamedParameters().Single(p => p.Name == "out.1.weight").Value;
        outWeight.AsSpan().Fill(0.01f);
        using var after = prior.Forward(x, r, c);
        using var unchanged = reference.Forward(x, r, c);
        TensorAssert.Close(same, unchanged, 0, 0);
        Assert.True(MaxAbsDiff(before, after) > 1e-3);
    }

    private static double MaxAbsDiff(Tensor a, Tensor b)
    {
        var x = a.ToArray();
        var y = b.ToArray();
        return x.Zip(y, (p, q) => Math.Abs(p - q)).Max();
    }
}
