namespace Wuerstchen.Training.Trainers;

/// <summary>The two ε-prediction recipes of SPEC §7.</summary>
public enum DiffusionRecipe
{
    /// <summary>
    /// The authors' (§7.1–7.2): t = clamp((1 − u)·1.08 + 0.001, 0.001, 1), p2-weighted loss, whole-batch caption
    /// dropout with p = 0.05.
    /// </summary>
    Authors,

    /// <summary>diffusers' fine-tuning script (§7.5): t ~ U[0, 1), plain MSE, no caption dropout.</summary>
    Diffusers,
}
