using Wuerstchen.Tensors;

namespace Wuerstchen.Models;

/// <summary>
/// Receives named intermediate activations during a forward pass (names as in the reference vectors, e.g.
/// "r_embed", "blocks.4.out", "down_level2.out"). The tensor may be a strided view and is only valid during the
/// call: clone it to keep it.
/// Models skip all tracing work when no trace is given.
/// </summary>
public delegate void ActivationTrace(string name, Tensor value);
