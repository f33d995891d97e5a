using Wuerstchen.Autograd;
using Wuerstchen.Models;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.Models;
using Wuerstchen.Training.Objectives;
using Xunit.Abstractions;

namespace Wuerstchen.Tests.Training.ReferenceSteps;

/// <summary>
/// One Stage B training step on the tiny decoder against training.safetensors "decoder_step": the Stage A encoding
/// of the image (BatchNorm with running statistics), x0 = latents / 0.3764, the P2 weights, the prediction, the
/// p2-weighted loss and the gradients of all 230 decoder parameters and of x_t and the CLIP conditioning.
/// </summary>
public class DecoderStepTests(ITestOutputHelper output)
{
    /// <summary>Stage A latents are divided by this before Stage B sees them (the pipelines multiply it back).</summary>
    private const float LatentScale = 0.3764f;

    [Fact]
    public void AuthorsStepMatchesTheReference()
    {
        using var vectors = new TrainingVectors();
        var cmp = new StepComparison(vectors.Vectors, "decoder_step", output);
        var scheduler = DdpmWuerstchenScheduler.FromConfig(Reference.Path_("tiny-wuerstchen", "scheduler"));

        using (var vq = PaellaVQModel.FromPretrained(ModelFolders.TinyVqgan))
        using (var image = cmp.Read("image"))
        using (var latents = vq.Encode(image))
        using (var x0 = Ops.Div(latents, LatentScale))
        {
            cmp.Values("latents", latents.ToArray(), 1e-5, 1e-5);
            cmp.Values("x0", x0.ToArray(), 1e-5, 1e-5);
        }

        var t = cmp.ReadValues("t");
        var weights = DiffusionLoss.P2Weights(scheduler, t);
        cmp.Values("alpha_cumprod", t.Select(scheduler.AlphaCumprod).ToArray(), 0, 1e-5);
        cmp.Values("p2_weight", weights, 0, 1e-5);
        using (var x0 = cmp.Read("x0"))
        using (var eps = cmp.Read("eps"))
        using (var noised = scheduler.AddNoise(x0, eps, t))
            cmp.Values("x_t", noised.ToArray(), 1e-6, 1e-6);

        using var decoder = WuerstchenDiffNeXt.FromPretrained(ModelFolders.TinyDecoder, writable: true);
        var parameters = decoder.NamedParameters().ToDictionary(p => p.Name, p => p.Value);
        foreach (var p in parameters.Values) p.RequiresGrad = true;
        using var xt = cmp.Read("x_t");
        using var r = cmp.Read("t");
        using var effnet = cmp.Read("effnet");
        using var clip = cmp.Read("clip");
        using var epsilon = cmp.Read("eps");
        xt.RequiresGrad = true;
        clip.RequiresGrad = true;
        try
        {
            using (var tape = Tape.Record())
            {
                using var pred = decoder.Forward(xt, r, effnet, clip);
                using var loss = DiffusionLoss.P2Weighted(pred, epsilon, weights, out var perSample);
                using (perSample)
                {
                    tape.Backward(loss);
                    cmp.Values("pred", pred.ToArray(), 1e-4, 1e-4);
                    cmp.Scalar("loss", loss.Item(), 1e-5);
                    cmp.Values("loss_per_sample", perSample.ToArray(), 0, 1e-5);
                }
            }
            Assert.Null(effnet.Grad);
            Assert.Equal(230, cmp.Gradients(parameters));
            Assert.Equal(2, cmp.Gradients(new Dictionary<string, Tensor> { ["x_t"] = xt, ["clip"] = clip }, "input_grad"));
            cmp.Report();
        }
        finally
        {
            foreach (var p in parameters.Values) p.Grad?.Dispose();
            xt.Grad?.Dispose();
            clip.Grad?.Dispose();
        }
    }
}
