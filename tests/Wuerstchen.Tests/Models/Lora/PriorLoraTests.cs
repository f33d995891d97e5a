using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Models;
using Wuerstchen.Models.Lora;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Models.Lora;

/// <summary>
/// LoRA on the tiny prior: the reference file (tiny-wuerstchen-prior-lora) loaded with PEFT keys reproduces the
/// reference prediction with the LoRA (training.safetensors lora_step.pred); attach (B = 0), merge, detach, strength,
/// save/load round trip and the errors for files that do not fit.
/// </summary>
public class PriorLoraTests
{
    private static string LoraFile => Reference.Path_("tiny-wuerstchen-prior-lora", "pytorch_lora_weights.safetensors");

    /// <summary>The prior_step inputs and the prior's output for them.</summary>
    private sealed class Inputs : IDisposable
    {
        private readonly SafeTensorsFile _file = SafeTensorsFile.Open(Reference.Vectors("training.safetensors"));
        public Tensor X { get; }
        public Tensor T { get; }
        public Tensor C { get; }

        public Inputs()
        {
            X = _file.ReadTensor("prior_step.x_t");
            T = _file.ReadTensor("prior_step.t");
            C = _file.ReadTensor("prior_step.c");
        }

        public float[] Expected(string key) => _file.ReadTensor(key).ToArray();

        public float[] Run(WuerstchenPrior prior)
        {
            using var y = prior.Forward(X, T, C);
            return y.ToArray();
        }

        public void Dispose() { X.Dispose(); T.Dispose(); C.Dispose(); _file.Dispose(); }
    }

    [Fact]
    public void LoadedLoraReproducesTheReferencePrediction()
    {
        using var inputs = new Inputs();
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior);
        var basePred = inputs.Run(prior);
        using (var lora = PriorLora.Load(prior, LoraFile))
        {
            Assert.Equal(8, lora.Layers.Count);
            Assert.Equal(2, lora.Rank);
            Assert.Equal(2f, lora.Alpha); // no metadata: α = r, as diffusers' script writes it
            var expected = inputs.Expected("lora_step.pred");
            TensorAssert.Close(expected, inputs.Run(prior), 1e-4 * TrainingMax(expected), 1e-4, "prior output with the LoRA");
            // The LoRA moves the output by ~0.18 (README): far outside the tolerance, so the check above can fail.
            Assert.True(expected.Zip(basePred, (a, b) => Math.Abs(a - b)).Max() > 0.1);
        }
        Assert.Equal(basePred, inputs.Run(prior)); // disposing detached it
    }

    [Fact]
    public void KeysAreThePeftKeysOfTheFileAndSaveRoundTrips()
    {
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior);
        using var lora = PriorLora.Load(prior, LoraFile);
        using var original = SafeTensorsFile.Open(LoraFile);
        var keys = lora.NamedParameters().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(original.Keys.Order(StringComparer.Ordinal), keys);
        Assert.Contains("prior.blocks.2.attention.to_out.0.lora_A.weight", keys);

        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "pytorch_lora_weights.safetensors");
        lora.Save(path);
        using var saved = SafeTensorsFile.Open(path);
        Assert.Equal("pt", saved.Metadata["format"]);
        foreach (var key in keys) Assert.Equal(original.ReadTensor(key).ToArray(), saved.ReadTensor(key).ToArray());
        Assert.Equal([path], Directory.GetFiles(folder.Path)); // no temp file left behind
    }

    [Fact]
    public void NewLoraStartsAsTheIdentityWithKaimingUniformDownProjection()
    {
        using var inputs = new Inputs();
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior);
        var basePred = inputs.Run(prior);
        using var lora = PriorLora.Attach(prior, rank: 4, new TorchGenerator(1));
        Assert.Equal(8, lora.Layers.Count);
        Assert.All(lora.Layers, l =>
        {
            Assert.Matches(@"^blocks\.\d+\.attention\.(to_q|to_k|to_v|to_out\.0)$", l.Target.Path);
            Assert.Equal(1f, l.Scale);
            Assert.True(l.Down.RequiresGrad && l.Up.RequiresGrad);
            Assert.All(l.Up.ToArray(), v => Assert.Equal(0f, v));
            float bound = 1f / MathF.Sqrt(l.Target.InFeatures);
            var a = l.Down.ToArray();
            Assert.All(a, v => Assert.InRange(v, -bound, bound));
            Assert.True(a.Max() - a.Min() > bound); // spread over the interval, not a constant
        });
        Assert.Equal(basePred, inputs.Run(prior)); // B = 0: y + 0
    }

    [Fact]
    public void AlphaOtherThanRankSurvivesSaveAndLoad()
    {
        using var inputs = new Inputs();
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior);
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "lora.safetensors");
        float[] withNew;
        using (var fresh = PriorLora.Attach(prior, rank: 2, alpha: 8f, new TorchGenerator(3)))
        {
            foreach (var l in fresh.Layers) l.Up.AsSpan().Fill(0.05f); // make the term visible
            Assert.Equal(4f, fresh.Layers[0].Scale);
            withNew = inputs.Run(prior);
            fresh.Save(path);
        }
        using var loaded = PriorLora.Load(prior, path);
        Assert.Equal(8f, loaded.Alpha);
        Assert.Equal(withNew, inputs.Run(prior));
    }

    [Fact]
    public void MergeFoldsTheLoraIntoTheWeights()
    {
        using var inputs = new Inputs();
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior, writable: true);
        float[] adapted;
        using (var lora = PriorLora.Load(prior, LoraFile, scale: 0.5f))
        {
            adapted = inputs.Run(prior);
            lora.Merge();
            Assert.All(lora.Layers, l => Assert.Null(l.Target.Adapter));
        }
        var merged = inputs.Run(prior);
        TensorAssert.Close(adapted, merged, 1e-5 * TrainingMax(adapted), 1e-5, "merged vs attached");
    }

    [Fact]
    public void ScaleIsTheStrengthOfTheTermAndStackedLorasAdd()
    {
        using var inputs = new Inputs();
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior);
        float[] full;
        using (PriorLora.Load(prior, LoraFile)) full = inputs.Run(prior);
        using (var zero = PriorLora.Load(prior, LoraFile, scale: 0f))
        {
            var basePred = inputs.Run(prior);
            zero.Detach();
            Assert.Equal(basePred, inputs.Run(prior));
        }
        // Two half-strength copies stacked on the same layers equal one at full strength (up to rounding).
        using var a = PriorLora.Load(prior, LoraFile, scale: 0.5f);
        using var b = PriorLora.Load(prior, LoraFile, scale: 0.5f);
        TensorAssert.Close(full, inputs.Run(prior), 1e-5 * TrainingMax(full), 1e-5, "two halves");
        a.Detach(); // removing the inner one of the stack leaves the other attached
        Assert.Same(b.Layers[0], b.Layers[0].Target.Adapter);
    }

    [Fact]
    public void FilesThatDoNotFitAreRejectedWithTheKey()
    {
        using var prior = WuerstchenPrior.FromPretrained(ModelFolders.TinyPrior);
        using var folder = new TempFolder();
        string unknown = Path.Combine(folder.Path, "unknown.safetensors");
        using (var a = Tensor.Zeros(2, 32))
        using (var b = Tensor.Zeros(32, 2))
            SafeTensorsWriter.Save(unknown, [new("prior.blocks.9.attention.to_q.lora_A.weight", a), new("prior.blocks.9.attention.to_q.lora_B.weight", b)]);
        var e = Assert.Throws<InvalidDataException>(() => PriorLora.Load(prior, unknown));
        Assert.Contains("prior.blocks.9.attention.to_q.lora_A.weight", e.Message);

        string misshapen = Path.Combine(folder.Path, "misshapen.safetensors");
        using (var a = Tensor.Zeros(2, 31))
        using (var b = Tensor.Zeros(32, 2))
            SafeTensorsWriter.Save(misshapen, [new("prior.blocks.2.attention.to_q.lora_A.weight", a), new("prior.blocks.2.attention.to_q.lora_B.weight", b)]);
        e = Assert.Throws<InvalidDataException>(() => PriorLora.Load(prior, misshapen));
        Assert.Contains("blocks.2.attention.to_q", e.Message);

        string half = Path.Combine(folder.Path, "half.safetensors");
        using (var a = Tensor.Zeros(2, 32))
            SafeTensorsWriter.Save(half, [new("prior.blocks.2.attention.to_q.lora_A.weight", a)]);
        e = Assert.Throws<InvalidDataException>(() => PriorLora.Load(prior, half));
        Assert.Contains("lora_B", e.Message);
        Assert.All(prior.Modules().OfType<Wuerstchen.Models.Nn.Linear>(), l => Assert.Null(l.Adapter)); // nothing left attached
    }

    private static double TrainingMax(float[] v) => v.Max(x => Math.Abs((double)x));
}
