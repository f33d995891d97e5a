using Wuerstchen.Models;
using Wuerstchen.Models.Lora;
using Wuerstchen.Schedulers;
using Wuerstchen.Tensors;
using Wuerstchen.Training.Objectives;
using Xunit.Abstractions;

namespace Wuerstchen.Tests.Training.ReferenceSteps;

/// <summary>
/// The prior step with the reference LoRA (tiny-wuerstchen-prior-lora: rank 2, α 2, on to_q/k/v/out.0, A and B both
/// non-zero) attached and only its 16 tensors trained, against training.safetensors "lora_step" (p2-weighted loss)
/// and "lora_step_ft" (plain MSE): prediction, loss and the gradient of every lora_A / lora_B.
/// </summary>
public class LoraStepTests(ITestOutputHelper output)
{
    private static string LoraFile => Reference.Path_("tiny-wuerstchen-prior-lora", "pytorch_lora_weights.safetensors");

    [Fact]
    public void AuthorsLossStepMatchesTheReference()
    {
        using var vectors = new TrainingVectors();
        var cmp = new StepComparison(vectors.Vectors, "lora_step", output);
        var scheduler = DdpmWuerstchenScheduler.FromConfig(Reference.Path_("tiny-wuerstchen-prior", "scheduler"));
        using var t = vectors.Vectors.ReadTensor("prior_step.t"); // lora_step reuses prior_step's inputs
        var weights = DiffusionLoss.P2Weights(scheduler, t.ToArray());
        LoraNetwork? lora = null;
        using var step = PriorStep.Run(cmp, (pred, eps) => DiffusionLoss.P2Weighted(pred, eps, weights), prepare: prior => lora = AttachTrainable(prior));
        using (lora)
        {
            cmp.Values("pred", step.Pred, 1e-4, 1e-4);
            cmp.Scalar("loss", step.Loss, 1e-5);
            CheckLoraGradients(cmp, lora!, step);
            // The stored tensors are the file's: the weights the gradients were taken at.
            foreach (var p in lora!.NamedParameters())
                Assert.Equal(cmp.ReadValues($"weight.{p.Name}"), p.Value.ToArray());
            cmp.Report();
        }
    }

    [Fact]
    public void FineTuningLossStepMatchesTheReference()
    {
        using var vectors = new TrainingVectors();
        var cmp = new StepComparison(vectors.Vectors, "lora_step_ft", output);
        LoraNetwork? lora = null;
        using var step = PriorStep.Run(cmp, DiffusionLoss.Mse, prepare: prior => lora = AttachTrainable(prior));
        using (lora)
        {
            cmp.Scalar("loss", step.Loss, 1e-5);
            CheckLoraGradients(cmp, lora!, step);
            cmp.Report();
        }
    }

    private static LoraNetwork AttachTrainable(WuerstchenPrior prior)
    {
        var lora = PriorLora.Load(prior, LoraFile);
        foreach (var p in lora.NamedParameters()) p.Value.RequiresGrad = true;
        return lora;
    }

    /// <summary>The 16 LoRA gradients match; the frozen base weights get none.</summary>
    private static void CheckLoraGradients(StepComparison cmp, LoraNetwork lora, PriorStep step)
    {
        Assert.Equal(16, cmp.Gradients(lora.NamedParameters().ToDictionary(p => p.Name, p => p.Value)));
        Assert.All(step.Parameters.Values, p => Assert.Null(p.Grad));
    }
}
