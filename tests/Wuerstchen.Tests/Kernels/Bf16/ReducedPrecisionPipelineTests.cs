using Wuerstchen.Models;
using Wuerstchen.Pipelines;
using Wuerstchen.Rng;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Pipelines;
using Xunit.Abstractions;

namespace Wuerstchen.Tests.Kernels.Bf16;

/// <summary>
/// The tiny models (<c>tiny-wuerstchen-prior</c>, <c>tiny-wuerstchen</c>) under <see cref="ComputePrecision.Reduced"/>
/// with bf16 weights, against float32 (float32 weights under reduced compute give the same bits:
/// <c>PrecisionSwitchTests</c>). Errors are relative to the float32 output's largest
/// magnitude (the tiny random-weight stages reach 10²–10³) and written to the test output.
/// <list type="bullet">
/// <item>Each stage once, on the recorded inputs of its first step (CLIP, prior, decoder, VQGAN decode):
/// within 2e-2.</item>
/// <item>The sampling loops: the prior's image embeddings within 2e-2. The decoder's images are compared by mean
/// (≤ 2e-2): the tiny random decoder drives its latents to ~4·10³ and 94% of the pixels into the clamp at 0 or 1,
/// so a latent moved by bf16 rounding flips a few saturated pixels from 0 to 1 and the maximum is meaningless.</item>
/// </list>
/// </summary>
public class ReducedPrecisionPipelineTests(ITestOutputHelper output)
{
    private const double Tolerance = 2e-2;
    private static readonly string PriorFolder = Reference.Path_("tiny-wuerstchen-prior");
    private static readonly string DecoderFolder = Reference.Path_("tiny-wuerstchen");

    [Fact]
    public void EachStageOnceStaysWithin2e2OfFloat32()
    {
        const WeightPrecision weights = WeightPrecision.Bf16;
        using var priorRun = PipelineRun.Open("prior_a");
        using var decoderRun = PipelineRun.Open("decoder_a");

        Compare("prior (stage C), step 0", weights, () =>
        {
            using var prior = WuerstchenPrior.FromPretrained(Path.Combine(PriorFolder, "prior"));
            using var x = priorRun.Read("step0.model_input");
            using var r = Ratio(priorRun, "step0.t", x.Size(0));
            using var text = priorRun.Read("text_encoder_hidden_states");
            return prior.Forward(x, r, text);
        });
        Compare("decoder (stage B), step 0", weights, () =>
        {
            using var decoder = WuerstchenDiffNeXt.FromPretrained(Path.Combine(DecoderFolder, "decoder"));
            using var x = decoderRun.Read("step0.model_input");
            using var r = Ratio(decoderRun, "step0.t", x.Size(0));
            using var effnet = decoderRun.Read("effnet");
            using var clip = decoderRun.Read("text_encoder_hidden_states");
            return decoder.Forward(x, r, effnet, clip);
        });
        Compare("VQGAN decode (stage A)", weights, () =>
        {
            using var vqgan = PaellaVQModel.FromPretrained(Path.Combine(DecoderFolder, "vqgan"));
            int steps = ReplayChecks.Steps(decoderRun, "");
            using var latents = decoderRun.Read($"step{steps - 1}.latents");
            using var scaled = Ops.Mul(latents, vqgan.Config.ScaleFactor);
            return vqgan.Decode(scaled);
        });
    }

    [Fact]
    public void PriorLoopStaysWithin2e2OfFloat32()
    {
        const WeightPrecision weights = WeightPrecision.Bf16;
        using var run = PipelineRun.Open("prior_a");
        var (f32Text, f32Out) = RunPrior(run, ComputePrecision.F32, WeightPrecision.F32);
        var (text, result) = RunPrior(run, ComputePrecision.Reduced, weights);
        using (f32Text) using (f32Out) using (text) using (result)
        {
            double textErr = Relative(f32Text, text), outErr = Relative(f32Out, result);
            output.WriteLine($"prior_a loop, weights {weights}: CLIP hidden states {textErr:g3}, image embeddings {outErr:g3} (relative max |Δ|)");
            Assert.True(textErr <= Tolerance, $"text encoder hidden states differ by {textErr}");
            Assert.True(outErr <= Tolerance, $"image embeddings differ by {outErr}");
            Assert.True(outErr > 0, "the reduced path changed nothing: was it used?");
        }
    }

    [Fact]
    public void DecoderLoopStaysWithin2e2OfFloat32OnAverage()
    {
        const WeightPrecision weights = WeightPrecision.Bf16;
        using var run = PipelineRun.Open("decoder_a");
        var (f32Text, f32Images) = RunDecoder(run, ComputePrecision.F32, WeightPrecision.F32);
        var (text, images) = RunDecoder(run, ComputePrecision.Reduced, weights);
        using (f32Text) using (f32Images) using (text) using (images)
        {
            float[] p = Values(f32Images), q = Values(images);
            double mean = Enumerable.Range(0, p.Length).Average(i => Math.Abs(p[i] - q[i]));
            double textErr = Relative(f32Text, text);
            output.WriteLine($"decoder_a loop, weights {weights}: CLIP hidden states {textErr:g3} (relative max |Δ|); images mean |Δ| {mean:g3}, " +
                $"max |Δ| {MaxAbsDiff(p, q):g3}, pixels off by > 2e-2: {Enumerable.Range(0, p.Length).Count(i => Math.Abs(p[i] - q[i]) > Tolerance)} of {p.Length}");
            Assert.True(textErr <= Tolerance, $"text encoder hidden states differ by {textErr}");
            Assert.True(mean <= Tolerance, $"images differ by {mean} on average");
        }
    }

    private void Compare(string stage, WeightPrecision weights, Func<Tensor> forward)
    {
        Tensor f32, reduced;
        using (Precision.Use(ComputePrecision.F32)) f32 = forward();
        using (Precision.Use(ComputePrecision.Reduced, weights)) reduced = forward();
        using (f32) using (reduced)
        {
            double err = Relative(f32, reduced);
            output.WriteLine($"{stage}, weights {weights}: relative max |Δ| {err:g3} (max |x| {Values(f32).Max(v => Math.Abs(v)):g3})");
            Assert.True(err <= Tolerance, $"{stage}: reduced precision differs from float32 by {err} of the output's scale");
            Assert.True(err > 0, $"{stage}: the reduced path changed nothing: was it used?");
        }
    }

    private static (Tensor Text, Tensor Embeddings) RunPrior(PipelineRun run, ComputePrecision compute, WeightPrecision weights)
    {
        using var scope = Precision.Use(compute, weights);
        using var latents = run.Input("latents");
        using var pipeline = WuerstchenPriorPipeline.FromPretrained(PriorFolder);
        using var log = new TensorLog();
        using var result = pipeline.Run(run.PriorRequest(latents), new TorchGenerator(run.Seed), log.Callbacks);
        return (log["text_encoder_hidden_states"].Clone(), result.ImageEmbeddings.Clone());
    }

    private static (Tensor Text, Tensor Images) RunDecoder(PipelineRun run, ComputePrecision compute, WeightPrecision weights)
    {
        using var scope = Precision.Use(compute, weights);
        using var embeddings = run.Input("image_embeddings")!;
        using var latents = run.Input("latents");
        using var pipeline = WuerstchenDecoderPipeline.FromPretrained(DecoderFolder);
        using var log = new TensorLog();
        using var result = pipeline.Run(run.DecoderRequest(embeddings, latents), new TorchGenerator(run.Seed), log.Callbacks);
        return (log["text_encoder_hidden_states"].Clone(), result.Images!.Clone());
    }

    private static Tensor Ratio(PipelineRun run, string key, int rows)
    {
        using var t = run.Read(key);
        return Tensor.Full(t.ToArray()[0], rows);
    }

    /// <summary>max |a − b| / max |a|.</summary>
    private static double Relative(Tensor a, Tensor b)
    {
        Assert.Equal(a.Shape.ToArray(), b.Shape.ToArray());
        float[] x = Values(a), y = Values(b);
        return MaxAbsDiff(x, y) / Math.Max(x.Max(v => Math.Abs((double)v)), 1e-30);
    }

    private static double MaxAbsDiff(float[] x, float[] y)
    {
        double max = 0;
        for (int i = 0; i < x.Length; i++) max = Math.Max(max, Math.Abs((double)x[i] - y[i]));
        return max;
    }

    private static float[] Values(Tensor t)
    {
        var c = t.Contiguous();
        try { return c.AsSpan().ToArray(); }
        finally { if (!ReferenceEquals(c, t)) c.Dispose(); }
    }
}
