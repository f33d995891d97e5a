using Wuerstchen.Tensors;

namespace Wuerstchen.Autograd;

/// <summary>
/// Activation checkpointing (torch.utils.checkpoint, reentrant form): trades compute for memory by running a
/// segment (e.g. one ResBlock) without recording it, and recomputing it with recording during backward.
/// Only the segment's inputs are kept; its intermediates are freed as in inference.
/// </summary>
public static class Checkpoint
{
    /// <summary>
    /// Runs <paramref name="segment"/> on <paramref name="inputs"/>. Under a recording tape its ops are not recorded;
    /// instead one node is, whose backward re-runs the segment on detached copies of the inputs under a fresh tape and
    /// backpropagates through it: input gradients flow on, and the parameters the segment uses (leaves that require
    /// grad) accumulate their gradients directly, as in torch. The node is recorded even when no input tracks
    /// gradients, so parameters inside the first segment of a model are still reached.
    /// The segment must be deterministic (no random draws, e.g. dropout off) and must not modify or dispose its inputs.
    /// Outside a tape this is just <c>segment(inputs)</c>.
    /// </summary>
    public static Tensor Run(Func<Tensor[], Tensor> segment, params Tensor[] inputs)
    {
        if (!Tape.IsRecording) return segment(inputs);
        Tensor output;
        using (Tape.NoGrad()) output = segment(inputs);
        Tape.Record(output, "Checkpoint", inputs, inputs, segment, static (g, n, segment) =>
        {
            var detached = new Tensor[n.InputCount];
            for (int i = 0; i < detached.Length; i++)
            {
                detached[i] = n.Saved(i).Detach();
                detached[i].RequiresGrad = n.NeedsGrad(i);
            }
            using var tape = Tape.Record();
            var recomputed = segment(detached);
            if (Tape.TracksGrad(recomputed)) tape.Backward(recomputed, g);
            recomputed.Dispose();
            var grads = new Tensor?[detached.Length];
            for (int i = 0; i < detached.Length; i++)
            {
                grads[i] = detached[i].Grad;
                detached[i].Grad = null;
            }
            return grads;
        });
        return output;
    }
}
