using Wuerstchen.Pipelines;
using Wuerstchen.Tensors;

namespace Wuerstchen.Tests.Pipelines;

/// <summary>
/// Stand-ins for the networks that replay what a recorded diffusers run computed, so the pipelines' own work —
/// batching, guidance, scheduler, random draws — can be checked step by step without running a model.
/// Each checks the inputs it is given against the recording where those must be exact copies.
/// </summary>
internal static class Replay
{
    /// <summary>Answers each prompt with the recorded <c>&lt;te&gt;.prompt</c> / <c>&lt;te&gt;.negative_prompt</c> row for it.</summary>
    public sealed class PromptEncoder : IPromptEncoder
    {
        private readonly Dictionary<string, Tensor> _rows = new(StringComparer.Ordinal);

        public List<string[]> Calls { get; } = [];

        public PromptEncoder(PipelineRun run, string te, IReadOnlyList<string> prompts, IReadOnlyList<string>? negativePrompts)
        {
            Add(run, $"{te}.prompt.last_hidden_state", prompts);
            if (run.Has($"{te}.negative_prompt.last_hidden_state"))
                Add(run, $"{te}.negative_prompt.last_hidden_state", negativePrompts ?? Enumerable.Repeat("", prompts.Count).ToArray());
        }

        private void Add(PipelineRun run, string key, IReadOnlyList<string> prompts)
        {
            using var hidden = run.Read(key);
            Assert.Equal(prompts.Count, hidden.Size(0));
            for (int i = 0; i < prompts.Count; i++) _rows[prompts[i]] = hidden.Narrow(0, i, 1).Clone();
        }

        public Tensor Encode(IReadOnlyList<string> prompts, Action<string>? onTruncated = null)
        {
            Calls.Add([.. prompts]);
            var rows = prompts.Select(p => _rows.TryGetValue(p, out var row) ? row
                : throw new InvalidOperationException($"The recorded run never encoded \"{p}\".")).ToArray();
            var shape = rows[0].Shape.ToArray();
            shape[0] = rows.Length;
            var result = Tensor.Empty(shape);
            for (int i = 0; i < rows.Length; i++) result.Narrow(0, i, 1).CopyFrom(rows[i]);
            return result;
        }

        public void Dispose()
        {
            foreach (var row in _rows.Values) row.Dispose();
        }
    }

    /// <summary>Returns <c>{prefix}step{i}.model_output_raw</c> on call i and checks r and the conditioning it was given.</summary>
    /// <remarks>
    /// The effnet is an exact copy of the recorded input in a decoder run; in a combined run it is our prior's output,
    /// which is compared at the loop tolerance instead.
    /// </remarks>
    public sealed class DiffusionModel(PipelineRun run, string prefix, int latentChannels, bool effnetIsInput = true) : IPriorModel, IDecoderModel
    {
        public int Calls { get; private set; }

        public int LatentChannels => latentChannels;

        public Tensor Forward(Tensor x, Tensor r, Tensor c) => Next(x, r, c, null);

        public Tensor Forward(Tensor x, Tensor r, Tensor effnet, Tensor clip) => Next(x, r, clip, effnet);

        private Tensor Next(Tensor x, Tensor r, Tensor text, Tensor? effnet)
        {
            int step = Calls++;
            using var expectedText = run.Read($"{prefix}text_encoder_hidden_states");
            TensorAssert.Close(expectedText, text, 0, 0, $"{run.Name}: {prefix}text_encoder_hidden_states at step {step}");
            if (effnet != null)
            {
                using var expectedEffnet = run.Read($"{prefix}effnet");
                double scale = effnetIsInput ? 0 : expectedEffnet.ToArray().Max(v => Math.Abs((double)v));
                double rtol = effnetIsInput ? 0 : ReplayChecks.LoopRtol;
                TensorAssert.Close(expectedEffnet, effnet, rtol * scale, rtol, $"{run.Name}: {prefix}effnet at step {step}");
            }
            // The ratio given to the model is timesteps[i] for every row, doubled with the batch under guidance.
            using var t = run.Read($"{prefix}step{step}.t");
            Assert.Equal(x.Size(0), r.Size(0));
            Assert.All(r.ToArray(), v => Assert.Equal(t.ToArray()[0], v));
            var output = run.Read($"{prefix}step{step}.model_output_raw");
            Assert.Equal(output.Shape.ToArray(), x.Shape.ToArray());
            return output;
        }

        public void Dispose() { }
    }

    /// <summary>Returns the recorded (clamped) images and checks it was given <c>scale_factor · final latents</c>.</summary>
    public sealed class VqDecoder(PipelineRun run, string finalLatentsKey) : IVqDecoder
    {
        public int Calls { get; private set; }

        public float ScaleFactor => 0.3764f;

        public Tensor Decode(Tensor latents)
        {
            Calls++;
            using var expected = run.Read(finalLatentsKey);
            using var scaled = Tensor.FromArray(expected.ToArray().Select(v => v * ScaleFactor).ToArray(), expected.Shape);
            double scale = scaled.ToArray().Max(v => Math.Abs((double)v));
            TensorAssert.Close(scaled, latents, ReplayChecks.LoopRtol * scale, ReplayChecks.LoopRtol, $"{run.Name}: VQGAN input");
            return run.Read("output");
        }

        public void Dispose() { }
    }
}
