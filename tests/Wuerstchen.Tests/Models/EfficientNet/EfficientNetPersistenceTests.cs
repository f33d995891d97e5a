using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models.EfficientNet;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Models.EfficientNet;

public class EfficientNetPersistenceTests
{
    [Fact]
    public void SaveThenFromPretrained_GivesTheSameWeightsAndOutputs()
    {
        using var folder = new TempFolder();
        using var model = EfficientNetFixtures.Random(EfficientNetFixtures.Small, seed: 31);
        using (var batch = EfficientNetFixtures.Image(new System.Random(1), 2, 3, 16, 16))
        using (model.ForwardTrain(batch)) { }                     // one training pass: num_batches_tracked = 1
        model.Save(folder.Path);
        Assert.Equal(["config.json", EfficientNetEncoder.WeightsFileName], folder.Entries());

        using (var file = SafeTensorsFile.Open(folder.File(EfficientNetEncoder.WeightsFileName)))
        {
            Assert.Equal([1L], file.ReadInt64("backbone.0.1.num_batches_tracked"));
            Assert.Equal([1L], file.ReadInt64("mapper.1.num_batches_tracked"));
        }

        using var loaded = EfficientNetEncoder.FromPretrained(folder.Path);
        Assert.Equal(model.Config, loaded.Config);
        var expected = model.StateDict().ToList();
        var actual = loaded.StateDict().ToList();
        Assert.Equal(expected.Select(kv => kv.Key), actual.Select(kv => kv.Key));
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Value.ToArray(), actual[i].Value.ToArray());

        using var x = EfficientNetFixtures.Image(new System.Random(2), 1, 3, 20, 20);
        using var a = model.Forward(x);
        using var b = loaded.Forward(x);
        Assert.Equal(a.ToArray(), b.ToArray());
    }

    [Fact]
    public void FromPretrained_RejectsWeightsOfAnotherConfig()
    {
        using var folder = new TempFolder();
        using (var model = EfficientNetFixtures.Random(EfficientNetFixtures.Small, seed: 32)) model.Save(folder.Path);
        (EfficientNetFixtures.Small with { CLatent = 5 }).Save(folder.File("config.json"));
        var e = Assert.ThrowsAny<Exception>(() => EfficientNetEncoder.FromPretrained(folder.Path));
        Assert.Contains("mapper.0.weight", e.Message);
    }

    [Fact]
    public void CreateForTraining_UsesTorchvisionsInitialisation()
    {
        using var model = EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny, seed: 7);
        var state = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        Assert.All(state["backbone.0.1.weight"], v => Assert.Equal(1f, v));
        Assert.All(state["backbone.0.1.bias"], v => Assert.Equal(0f, v));
        Assert.All(state["backbone.4.0.block.2.fc1.bias"], v => Assert.Equal(0f, v));
        Assert.All(state["mapper.1.running_var"], v => Assert.Equal(1f, v));
        // Kaiming normal, fan-out: the head conv [256, 64, 1, 1] has std √(2/256).
        var head = state["backbone.6.0.weight"];
        double std = Math.Sqrt(head.Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.95 * Math.Sqrt(2.0 / 256), 1.05 * Math.Sqrt(2.0 / 256));
        // The mapper keeps torch's default U(±1/√fan_in).
        Assert.All(state["mapper.0.weight"], v => Assert.InRange(v, -1 / MathF.Sqrt(256), 1 / MathF.Sqrt(256)));
        using var again = EfficientNetEncoder.CreateForTraining(EfficientNetConfig.Tiny, seed: 7);
        Assert.Equal(head, again.StateDict().First(kv => kv.Key == "backbone.6.0.weight").Value.ToArray());
        Assert.InRange(model.ParameterCount(), 100_000, 200_000);   // "tiny": over 100× smaller than V2-S
    }
}
