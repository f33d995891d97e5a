using System.Text.Json;
using System.Text.RegularExpressions;
using Wuerstchen.IO.SafeTensors;
using Wuerstchen.Rng;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Schedulers;

/// <summary>
/// The generator and the scheduler inside the recorded diffusers runs (vectors/pipeline_*.safetensors): one
/// generator seeded per run draws the initial latents and every step's noise in diffusers' order (prior, then
/// decoder; noise also on the last step), bit for bit; the schedule equals the recorded t of every step; and each
/// step, fed the recorded guided model output and noise, reproduces the recorded latents.
/// </summary>
public class PipelineNoiseAndStepTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> _runs = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Reference.Vectors("pipelines.json")));
        return doc.RootElement.EnumerateArray().ToDictionary(r => r.GetProperty("file").GetString()!, r => r.Clone());
    });

    public static TheoryData<string> Runs => [.. _runs.Value.Keys];

    private sealed record Stage(string Prefix, string StepsArgument, string TimestepsArgument, int DefaultSteps, bool LatentsGiven);

    [Theory]
    [MemberData(nameof(Runs))]
    public void GeneratorAndScheduler_ReproduceTheRun(string file)
    {
        var run = _runs.Value[file];
        var args = run.GetProperty("call_args");
        var inputs = run.GetProperty("tensor_inputs").EnumerateArray().Select(x => x.GetString()).ToHashSet();
        bool latentsGiven = inputs.Contains("latents");
        Stage[] stages = run.GetProperty("pipeline").GetString() switch
        {
            "WuerstchenPriorPipeline" => [new("", "num_inference_steps", "timesteps", 60, latentsGiven)],
            "WuerstchenDecoderPipeline" => [new("", "num_inference_steps", "timesteps", 12, latentsGiven)],
            // The combined pipeline forwards latents to the prior only.
            "WuerstchenCombinedPipeline" =>
            [
                new("prior.", "prior_num_inference_steps", "prior_timesteps", 60, latentsGiven),
                new("decoder.", "num_inference_steps", "decoder_timesteps", 12, false),
            ],
            var p => throw new InvalidOperationException($"Unknown pipeline {p}"),
        };

        using var vectors = SafeTensorsFile.Open(Reference.Vectors(file));
        CheckFloat64Inputs(run, vectors);

        var generator = new TorchGenerator(run.GetProperty("seed").GetUInt64());
        var scheduler = DdpmWuerstchenScheduler.FromConfig(Reference.Path_("tiny-wuerstchen", "scheduler"));
        int draws = 0;
        foreach (var stage in stages)
        {
            using var initial = vectors.ReadTensor(stage.Prefix + "initial_latents");
            if (stage.LatentsGiven)
            {
                using var given = vectors.ReadTensor("input.latents");
                Assert.Equal(given.ToArray(), initial.ToArray());
            }
            else
            {
                using var drawn = generator.Randn(initial.Shape);
                AssertBitwise(initial.ToArray(), drawn.ToArray(), $"{file} {stage.Prefix}initial_latents");
                draws++;
            }

            if (args.TryGetProperty(stage.TimestepsArgument, out var list))
                scheduler.SetTimesteps(list.EnumerateArray().Select(x => x.GetDouble()).ToArray());
            else
                scheduler.SetTimesteps(args.TryGetProperty(stage.StepsArgument, out var n) ? n.GetInt32() : stage.DefaultSteps);

            int steps = scheduler.Timesteps.Count - 1;
            Assert.False(vectors.Contains($"{stage.Prefix}step{steps}.t"), "the run has more steps than the schedule");
            for (int i = 0; i < steps; i++)
            {
                string step = $"{stage.Prefix}step{i}.";
                var t = Read(vectors, step + "t");
                Assert.All(t, x => Assert.Equal(scheduler.Timesteps[i], x));

                using var noise = generator.Randn(initial.Shape);
                draws++;
                AssertBitwise(Read(vectors, step + "noise"), noise.ToArray(), $"{file} {step}noise");

                using var guided = vectors.ReadTensor(step + "model_output_guided");
                using var previous = i == 0 ? vectors.ReadTensor(stage.Prefix + "initial_latents") : vectors.ReadTensor($"{stage.Prefix}step{i - 1}.latents");
                using var latents = scheduler.Step(guided, t, previous, noise);
                AssertWithinFloat32StepError(scheduler, t[0], guided.ToArray(), previous.ToArray(), noise.ToArray(),
                    Read(vectors, step + "latents"), latents.ToArray(), $"{file} {step}latents");
            }
        }
        Assert.Equal(run.GetProperty("noise_draws").GetInt32(), draws);
    }

    /// <summary>
    /// The recorded runs are float64 and their tiny random models produce latents and outputs in the hundreds that
    /// cancel to values near 1, so a relative tolerance on the result does not fit float32 arithmetic. The bound is
    /// the float32 rounding error of the step itself (plus the rounding of its float32-stored inputs, which the
    /// double run did not have): a few units of 2^-24 times the magnitudes that enter each element,
    /// |x_prev − ref| ≤ 8u·(α^-½(|x| + |(1 − α)ε|/(1 − ᾱ)^½) + σ|z|) + u|ref|.
    /// </summary>
    private static void AssertWithinFloat32StepError(DdpmWuerstchenScheduler scheduler, float t, float[] eps, float[] x,
        float[] z, float[] expected, float[] actual, string what)
    {
        const double u = 1.0 / (1 << 24);
        double alphaCumprod = scheduler.AlphaCumprod(t), alphaCumprodPrev = scheduler.AlphaCumprod(scheduler.PreviousTimestep(t));
        double alpha = alphaCumprod / alphaCumprodPrev;
        double meanScale = Math.Sqrt(1 / alpha), epsScale = (1 - alpha) / Math.Sqrt(1 - alphaCumprod);
        double std = scheduler.PreviousTimestep(t) == 0 ? 0 : Math.Sqrt((1 - alpha) * (1 - alphaCumprodPrev) / (1 - alphaCumprod));
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = 8 * u * (meanScale * (Math.Abs(x[i]) + epsScale * Math.Abs(eps[i])) + std * Math.Abs(z[i])) + u * Math.Abs(expected[i]);
            Assert.True(Math.Abs(actual[i] - (double)expected[i]) <= bound,
                $"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}, beyond the float32 bound {bound:E2}.");
        }
    }

    /// <summary>Tensor inputs made with <c>torch.randn(shape, generator=Generator().manual_seed(s), dtype=float64).float()</c>.</summary>
    private static void CheckFloat64Inputs(JsonElement run, SafeTensorsFile vectors)
    {
        foreach (var property in run.EnumerateObject().Where(p => p.Name.EndsWith("_input", StringComparison.Ordinal)))
        {
            var recipe = property.Value.GetString()!;
            var m = Regex.Match(recipe, @"^(?<name>[\w.]+) = torch\.randn\(\[(?<shape>[\d, ]+)\], generator=Generator\(\)\.manual_seed\((?<seed>\d+)\), dtype=float64\)\.float\(\)$");
            Assert.True(m.Success, $"unexpected input recipe: {recipe}");
            int n = m.Groups["shape"].Value.Split(',').Select(int.Parse).Aggregate(1, (a, b) => a * b);
            var drawn = new TorchGenerator(ulong.Parse(m.Groups["seed"].Value)).RandnFloat64(n).Select(x => (float)x).ToArray();
            AssertBitwise(Read(vectors, m.Groups["name"].Value), drawn, recipe);
        }
    }

    private static float[] Read(SafeTensorsFile f, string key)
    {
        using var t = f.ReadTensor(key);
        return t.ToArray();
    }

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                $"{what}: element {i} is {actual[i]:R}, torch gives {expected[i]:R}.");
    }
}
